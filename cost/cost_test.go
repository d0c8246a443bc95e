package cost

import (
	"strings"
	"testing"

	"github.com/cutover/cutover/runbook"
)

// us-east-1 on-demand prices, as in the lab's price list slice.
var prices = Prices{
	EC2: []Instance{
		{"r7g.medium", 8, 0.0536}, {"r7g.large", 16, 0.1071}, {"r7g.xlarge", 32, 0.2142}, {"r7g.2xlarge", 64, 0.4284},
		{"r7g.4xlarge", 128, 0.8568}, {"r7g.8xlarge", 256, 1.7136},
		{"m7g.medium", 4, 0.0408}, {"m7g.large", 8, 0.0816}, {"m7g.4xlarge", 64, 0.6528},
	},
	Sentinel:     Instance{"t4g.small", 2, 0.0168},
	GP3GBMonth:   0.08,
	CrossAZPerGB: 0.01,
}

func TestEstimate(t *testing.T) {
	cases := []struct {
		name      string
		src       Source
		cost      func(*runbook.Cost)
		verdict   string
		breakEven string
		rule      string
		node      string
		nodes     int
		managed   string
		sentinels bool
		payback   bool
	}{
		{
			name: "small cache: one t4g.medium shard with a replica",
			src: Source{Engine: "Redis", NodeType: "cache.t4g.medium", NodeMemoryGiB: 3.09, NodeHourly: 0.065, Shards: 1, ReplicasPerShard: 1,
				WriteBytesPerSec: 50_000},
			verdict: "staying is cheaper: ElastiCache costs $1,805/month less", breakEven: "at 57.5 shards of cache.t4g.medium",
			rule: "stay: 2 GB of data in 1 cluster(s)", node: "m7g.medium", nodes: 2, managed: "$95", sentinels: true,
		},
		{
			name: "large cluster: ten r7g.4xlarge shards with two replicas",
			src: Source{Engine: "Redis", NodeType: "cache.r7g.4xlarge", NodeMemoryGiB: 105.81, NodeHourly: 1.747, Shards: 10, ReplicasPerShard: 2,
				ClusterMode: true, WriteBytesPerSec: 20e6},
			verdict: "self-managed is cheaper by $", breakEven: "at 1.1 shards", rule: "past the small-cache threshold (794 GB",
			node: "r7g.4xlarge", nodes: 30, managed: "$38,259", payback: true,
		},
		{
			name:    "the same cluster, team of many clusters: the people are shared",
			src:     Source{Engine: "Valkey", NodeType: "cache.r7g.4xlarge", NodeMemoryGiB: 105.81, NodeHourly: 1.3976, Shards: 10, ReplicasPerShard: 2, ClusterMode: true},
			cost:    func(c *runbook.Cost) { c.Clusters = 8 },
			verdict: "self-managed is cheaper", breakEven: "shards of cache.r7g.4xlarge with 2 replica(s)", rule: "past the small-cache threshold",
			node: "r7g.4xlarge", nodes: 30, managed: "$30,607", payback: true,
		},
		{
			name:    "a fork headroom of 2 needs the next size",
			src:     Source{Engine: "Redis", NodeType: "cache.r7g.large", NodeMemoryGiB: 13.07, NodeHourly: 0.219, Shards: 1, ReplicasPerShard: 1},
			cost:    func(c *runbook.Cost) { c.ForkHeadroom = 2 },
			verdict: "staying is cheaper", rule: "stay:", node: "r7g.xlarge", nodes: 2, managed: "$320", sentinels: true,
			breakEven: "shards of cache.r7g.large",
		},
		{
			name: "serverless: 30 GB stored, 2 G ECPUs",
			src: Source{Engine: "Valkey", Serverless: true, StoredGiB: 30, ECPUs: 2e9, StorageHour: 0.084, ECPUPrice: 0.0000000023, ServerlessRF: 2,
				WriteBytesPerSec: 1e6},
			verdict: "staying is cheaper", rule: "stay: 30 GB", node: "r7g.2xlarge", nodes: 2, managed: "$1,844", sentinels: true,
			breakEven: "at about",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := runbook.DefaultCost()
			if tc.cost != nil {
				tc.cost(&a)
			}
			c, err := Estimate(tc.src, prices, a)
			if err != nil {
				t.Fatal(err)
			}
			table := c.Table()
			for what, got := range map[string]string{"verdict": c.Verdict(), "break-even": c.BreakEven(tc.src), "rule": c.Rule(a.Clusters)} {
				want := map[string]string{"verdict": tc.verdict, "break-even": tc.breakEven, "rule": tc.rule}[what]
				if !strings.Contains(got, want) {
					t.Errorf("%s %q, want it to contain %q\n%s", what, got, want, table)
				}
			}
			if c.DataNode.Type != tc.node || c.DataNodes != tc.nodes {
				t.Errorf("data nodes %d × %s, want %d × %s", c.DataNodes, c.DataNode.Type, tc.nodes, tc.node)
			}
			if got := Money(c.ManagedTotal); got != tc.managed {
				t.Errorf("managed total %s, want %s", got, tc.managed)
			}
			if strings.Contains(table, "EC2 sentinels") != tc.sentinels {
				t.Errorf("sentinels in the table: want %v\n%s", tc.sentinels, table)
			}
			if (c.PaybackMonths > 0) != tc.payback {
				t.Errorf("payback %.1f months, want one: %v", c.PaybackMonths, tc.payback)
			}
			if c.BreakEvenShards > 0 {
				// At the break-even both sides cost the same: check by
				// scaling the managed and the scaling part of the self side.
				fixed := c.SelfTotal - scaling(c)
				shards := float64(max(tc.src.Shards, 1))
				m, s := c.ManagedTotal/shards*c.BreakEvenShards, fixed+scaling(c)/shards*c.BreakEvenShards
				if diff := m - s; diff > 0.01 || diff < -0.01 {
					t.Errorf("at %.2f shards managed %.2f, self %.2f", c.BreakEvenShards, m, s)
				}
			}
		})
	}
}

// scaling is the self-managed side less its fixed part (people, sentinels).
func scaling(c Case) float64 {
	t := 0.0
	for _, l := range c.Self {
		if l.Item != "people" && l.Item != "EC2 sentinels" {
			t += l.Monthly
		}
	}
	return t
}

func TestNothingFits(t *testing.T) {
	src := Source{Engine: "Redis", NodeType: "cache.r7g.16xlarge", NodeMemoryGiB: 419.09, NodeHourly: 6.986, Shards: 1}
	_, err := Estimate(src, prices, runbook.DefaultCost())
	if err == nil || !strings.Contains(err.Error(), "no EC2 instance in the price list has 471.5 GiB; add a larger family to cost.ec2_families") {
		t.Fatalf("err %v", err)
	}
}

func TestMoney(t *testing.T) {
	for x, want := range map[float64]string{0: "$0", 95.4: "$95", 1234.5: "$1,235", -38259: "-$38,259", 1e6: "$1,000,000", -0.2: "$0"} {
		if got := Money(x); got != want {
			t.Errorf("Money(%g) = %s, want %s", x, got, want)
		}
	}
}
