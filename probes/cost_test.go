package probes

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/runbook"
)

func TestCostCase(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, nodeType string
		replicas       int
		verdict        string
		breakEven      string
		warned         bool
	}{
		{"a small cache stays", "cache.t4g.medium", 1, "staying is cheaper: ElastiCache costs $1,8", "at 5", true},
		{"a large node leaves", "cache.r7g.8xlarge", 2, "self-managed is cheaper by $", "at 0.", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := elastiCacheLab(t, 10, func(c *awsstub.Config) { c.NodeType, c.NumReplicas = tc.nodeType, tc.replicas })
			res := runCheck(t, runbook.InventoryCost, envFor(cfg, nil))
			if !res.OK || !strings.HasPrefix(res.Summary, tc.verdict) {
				t.Fatalf("ok %v, summary %q, want it to start %q\n%v", res.OK, res.Summary, tc.verdict, res.Evidence)
			}
			if got := res.Outputs[runbook.CostBreakEven.Name]; !strings.HasPrefix(got, tc.breakEven) {
				t.Errorf("break-even %q, want %q...", got, tc.breakEven)
			}
			if (len(res.Warnings) > 0) != tc.warned {
				t.Errorf("warnings %q, want some: %v", res.Warnings, tc.warned)
			}
			rows := map[string]string{}
			for _, e := range res.Evidence {
				rows[e.Name] = e.Value
			}
			for _, name := range []string{"inventory", "write rate", "ElastiCache: ElastiCache nodes", "self-managed: EC2 data nodes",
				"self-managed: EBS gp3", "self-managed: cross-AZ replication", "self-managed: people", "ElastiCache: total", "self-managed: total"} {
				if rows[name] == "" {
					t.Errorf("no %q row in %v", name, res.Evidence)
				}
			}
			if !strings.Contains(rows["inventory"], tc.nodeType) || !strings.Contains(rows["self-managed: EC2 sentinels"], "3 × t4g.small") {
				t.Errorf("inventory %q, sentinels %q", rows["inventory"], rows["self-managed: EC2 sentinels"])
			}
		})
	}
}

// A big cluster-mode group: ten cache.r7g.4xlarge shards with two replicas
// each, as DescribeReplicationGroups reports it.
func TestCostCaseOfAClusterModeGroup(t *testing.T) {
	t.Parallel()
	cfg := elastiCacheLab(t, 10, func(c *awsstub.Config) {
		c.NodeType, c.ConfigurationEndpoint = "cache.r7g.4xlarge", "clustercfg.lab-cache.use1.cache.amazonaws.com:6379"
		for i := range 10 {
			lo, hi := i*16384/10, (i+1)*16384/10-1
			c.Shards = append(c.Shards, awsstub.Shard{Slots: fmt.Sprintf("%d-%d", lo, hi),
				Nodes:    []string{fmt.Sprintf("10.0.%d.1:6379", i), fmt.Sprintf("10.0.%d.2:6379", i), fmt.Sprintf("10.0.%d.3:6379", i)},
				Snapshot: func(context.Context, io.Writer) error { return nil }})
		}
	})
	// The write rate is read from the source's primaries: a real cluster.
	src := labtest.Cluster(t, 3, 0, labtest.WithPassword("pw"))
	cfg.Source.URL = "redis://" + src.Primaries[0].Addr()
	res := runCheck(t, runbook.InventoryCost, envFor(cfg, nil))
	if !res.OK || !strings.HasPrefix(res.Summary, "self-managed is cheaper by $") || len(res.Warnings) != 0 {
		t.Fatalf("ok %v, %q, warnings %q\n%v", res.OK, res.Summary, res.Warnings, res.Evidence)
	}
	rows := map[string]string{}
	for _, e := range res.Evidence {
		rows[e.Name] = e.Value
	}
	for name, want := range map[string]string{
		"inventory":                      "Redis cache.r7g.4xlarge: 10 shard(s) × (1 primary + 2 replica(s))",
		"ElastiCache: ElastiCache nodes": "$38,259/month: 30 × cache.r7g.4xlarge",
		"self-managed: EC2 data nodes":   "30 × r6g.4xlarge (128 GiB",
	} {
		if !strings.HasPrefix(rows[name], want) && !strings.Contains(rows[name], want) {
			t.Errorf("%s: %q, want %q", name, rows[name], want)
		}
	}
	if !strings.Contains(rows["write rate"], "summed over 3 primaries") {
		t.Errorf("write rate %q", rows["write rate"])
	}
	if _, ok := rows["self-managed: EC2 sentinels"]; ok {
		t.Errorf("a cluster-mode group got sentinels: %v", res.Evidence)
	}
	if got := res.Outputs[runbook.CostBreakEven.Name]; !strings.HasPrefix(got, "at 0.9 shards") || !strings.Contains(got, "shards of cache.r7g.4xlarge with 2 replica(s)") {
		t.Errorf("break-even %q", got)
	}
	if got := res.Outputs[runbook.CostRule.Name]; !strings.HasPrefix(got, "past the small-cache threshold (794 GB") {
		t.Errorf("rule %q", got)
	}
}

func TestCostCaseClearErrors(t *testing.T) {
	t.Parallel()
	cfg := elastiCacheLab(t, 1, func(c *awsstub.Config) { c.NodeType = "cache.x9.huge" })
	res := runCheck(t, runbook.InventoryCost, envFor(cfg, nil))
	wantResult(t, res, false, "ElastiCache node price: the price list has no Redis cache.x9.huge nodes in us-east-1")

	cfg = elastiCacheLab(t, 1)
	cfg.AWS.Region = "eu-west-1"
	res = runCheck(t, runbook.InventoryCost, envFor(cfg, nil))
	wantResult(t, res, false, "the price list has no Redis cache.r7g.large nodes in eu-west-1")

	cfg = elastiCacheLab(t, 1)
	cfg.Cost.EC2Families = []string{"r7g", "x9z"}
	res = runCheck(t, runbook.InventoryCost, envFor(cfg, nil))
	wantResult(t, res, false, "EC2 prices: the price list has no EC2 x9z instances in us-east-1")

	cfg = elastiCacheLab(t, 1, func(c *awsstub.Config) { c.NodeType = "cache.r7g.8xlarge" })
	cfg.Cost.EC2Families = []string{"t4g"}
	res = runCheck(t, runbook.InventoryCost, envFor(cfg, nil))
	wantResult(t, res, false, "no EC2 instance in the price list has 235.7 GiB; add a larger family to cost.ec2_families")
}

// A serverless cache is priced on its CloudWatch usage over 30 days.
func TestCostCaseOfAServerlessCache(t *testing.T) {
	t.Parallel()
	cfg, _ := serverlessLab(t)
	res := runCheck(t, runbook.InventoryCost, envFor(cfg, nil))
	if !res.OK || !strings.HasPrefix(res.Summary, "staying is cheaper") {
		t.Fatalf("ok %v, %q\n%v", res.OK, res.Summary, res.Evidence)
	}
	rows := map[string]string{}
	for _, e := range res.Evidence {
		rows[e.Name] = e.Value
	}
	for _, name := range []string{"serverless usage", "ElastiCache: ElastiCache Serverless storage", "ElastiCache: ElastiCache Serverless ECPUs", "self-managed: EC2 sentinels"} {
		if rows[name] == "" {
			t.Errorf("no %q row: %v", name, res.Evidence)
		}
	}
	if !strings.HasPrefix(rows["ElastiCache: ElastiCache Serverless storage"], "$91/month") {
		t.Errorf("storage %q: want the 1 GB minimum billed", rows["ElastiCache: ElastiCache Serverless storage"])
	}
}
