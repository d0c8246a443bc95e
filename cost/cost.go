// Package cost weighs staying on ElastiCache against running the same
// cache yourself: the monthly figures of both sides from list prices, the
// people the self-managed side needs, the break-even and the playbook's
// rule of thumb. It is pure: prices and the inventory come in, a Case
// comes out.
package cost

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cutover/cutover/runbook"
)

// HoursPerMonth is the month AWS prices by (8760 h / 12).
const HoursPerMonth = 730

// usableFraction is the share of an ElastiCache node's memory data may
// use: its default parameter groups reserve 25% (reserved-memory-percent).
const usableFraction = 0.75

// The playbook's rule: under this much data and this many clusters the
// managed premium is usually cheaper than the people.
const (
	ruleGB       = 50
	ruleClusters = 5
)

// Source is what the cost is of: a node-based replication group or a
// serverless cache, and the price of its ElastiCache side.
type Source struct {
	Name   string
	Engine string // Redis or Valkey, as the price list spells it

	// A node-based group.
	NodeType         string
	NodeMemoryGiB    float64 // the node type's memory, from the price list
	NodeHourly       float64 // USD per node-hour
	Shards           int
	ReplicasPerShard int
	ClusterMode      bool

	// A serverless cache: its 30-day usage and prices.
	Serverless   bool
	StoredGiB    float64 // mean BytesUsedForCache
	ECPUs        float64 // ElastiCacheProcessingUnits over 30 days
	StorageHour  float64 // USD per GB-hour
	ECPUPrice    float64 // USD per ECPU
	ServerlessRF int     // copies kept self-managed: a primary and its replicas

	// WriteBytesPerSec is what replication carries (INFO's
	// total_net_input_bytes over uptime, an upper bound); 0 when unknown.
	WriteBytesPerSec float64
}

// Instance is an EC2 instance type with its on-demand price.
type Instance struct {
	Type      string
	MemoryGiB float64
	Hourly    float64
}

// Prices are the self-managed side's list prices in the source's region.
type Prices struct {
	EC2          []Instance // candidates for data nodes
	Sentinel     Instance   // the small instance each of 3 sentinels runs on
	GP3GBMonth   float64
	CrossAZPerGB float64 // charged on each side of a cross-AZ transfer
}

// Line is one row of a side.
type Line struct {
	Item    string
	Detail  string
	Monthly float64
}

// Case is the comparison.
type Case struct {
	Managed, Self           []Line
	ManagedTotal, SelfTotal float64
	DataNode                Instance
	DataNodes               int
	DataGiB                 float64 // the data the cache holds (capacity for nodes, usage for serverless)
	// Saving is ManagedTotal - SelfTotal: positive when leaving saves.
	Saving float64
	// BreakEvenShards and BreakEvenGiB are where both sides cost the
	// same, growing the cache in shards of this node type; 0 when the
	// self-managed side never catches up.
	BreakEvenShards float64
	BreakEvenGiB    float64
	// PaybackMonths is the migration's people cost over the saving; 0
	// when nothing is saved.
	PaybackMonths float64
	// RuleStay is the playbook's rule: a small cache in a small fleet.
	RuleStay bool
}

// Estimate builds the case. It fails when no candidate instance fits a
// node's data with its fork headroom.
func Estimate(src Source, p Prices, a runbook.Cost) (Case, error) {
	var c Case
	if a.Clusters < 1 || a.ForkHeadroom < 1 {
		return c, fmt.Errorf("the cost assumptions are not set (clusters %d, fork headroom %g)", a.Clusters, a.ForkHeadroom)
	}
	shards, copies, perNodeGiB := src.Shards, 1+src.ReplicasPerShard, src.NodeMemoryGiB*usableFraction
	if src.Serverless {
		copies = max(src.ServerlessRF, 1)
		largest := 0.0
		for _, in := range p.EC2 {
			largest = max(largest, in.MemoryGiB/a.ForkHeadroom)
		}
		if largest == 0 {
			return c, fmt.Errorf("no EC2 instance of %s in the price list", strings.Join(a.EC2Families, ", "))
		}
		shards = max(1, int(math.Ceil(src.StoredGiB/largest)))
		perNodeGiB = max(src.StoredGiB/float64(shards), 1)
	}
	node, err := fit(p.EC2, perNodeGiB*a.ForkHeadroom)
	if err != nil {
		return c, err
	}
	c.DataNode, c.DataNodes = node, shards*copies
	c.DataGiB = perNodeGiB * float64(shards)
	if src.Serverless {
		c.DataGiB = src.StoredGiB
	}

	// Managed.
	if src.Serverless {
		billed := max(src.StoredGiB, serverlessMinimumGB(src.Engine))
		c.Managed = append(c.Managed,
			Line{"ElastiCache Serverless storage", fmt.Sprintf("%.1f GB mean (billed at least %g GB) × $%.4f/GB-hour", src.StoredGiB, serverlessMinimumGB(src.Engine), src.StorageHour), billed * src.StorageHour * HoursPerMonth},
			Line{"ElastiCache Serverless ECPUs", fmt.Sprintf("%s ECPUs in 30 days × $%.10f", compact(src.ECPUs), src.ECPUPrice), src.ECPUs * src.ECPUPrice})
	} else {
		n := src.Shards * copies
		c.Managed = append(c.Managed, Line{"ElastiCache nodes", fmt.Sprintf("%d × %s at $%.4f/h", n, src.NodeType, src.NodeHourly), float64(n) * src.NodeHourly * HoursPerMonth})
	}

	// Self-managed.
	diskGiB := math.Ceil(2 * perNodeGiB) // an RDB and an AOF rewrite side by side
	crossAZ := src.WriteBytesPerSec * 30 * 86400 / 1e9 * float64(copies-1) * 2 * p.CrossAZPerGB
	people := ((a.OncallHours+a.OpsHours)/float64(a.Clusters) + a.ClusterHours) * a.HourlyRate
	c.Self = append(c.Self,
		Line{"EC2 data nodes", fmt.Sprintf("%d × %s (%.0f GiB, for %.1f GiB of data × %.1f fork headroom) at $%.4f/h", c.DataNodes, node.Type, node.MemoryGiB, perNodeGiB, a.ForkHeadroom, node.Hourly), float64(c.DataNodes) * node.Hourly * HoursPerMonth},
		Line{"EBS gp3", fmt.Sprintf("%d × %.0f GiB at $%.3f/GB-month", c.DataNodes, diskGiB, p.GP3GBMonth), float64(c.DataNodes) * diskGiB * p.GP3GBMonth})
	fixed := people
	if shards == 1 && !src.ClusterMode {
		sentinels := 3 * p.Sentinel.Hourly * HoursPerMonth
		c.Self = append(c.Self, Line{"EC2 sentinels", fmt.Sprintf("3 × %s at $%.4f/h", p.Sentinel.Type, p.Sentinel.Hourly), sentinels})
		fixed += sentinels
	}
	crossDetail := "no replica"
	if copies > 1 {
		crossDetail = fmt.Sprintf("%.2f MB/s written × %d replica(s), both sides at $%.2f/GB", src.WriteBytesPerSec/1e6, copies-1, p.CrossAZPerGB)
		if src.WriteBytesPerSec == 0 {
			crossDetail = "unknown write rate: not counted"
		}
	}
	c.Self = append(c.Self,
		Line{"cross-AZ replication", crossDetail, crossAZ},
		Line{"people", fmt.Sprintf("((%g on-call + %g ops) h ÷ %d cluster(s) + %g h for this one) × $%g/h", a.OncallHours, a.OpsHours, a.Clusters, a.ClusterHours, a.HourlyRate), people})

	c.ManagedTotal, c.SelfTotal = sum(c.Managed), sum(c.Self)
	c.Saving = c.ManagedTotal - c.SelfTotal
	if c.Saving > 0 && a.MigrationHours > 0 {
		c.PaybackMonths = a.MigrationHours * a.HourlyRate / c.Saving
	}
	// Grow (or shrink) in shards: the fixed part stays, the rest scales.
	perShard := (c.ManagedTotal - (c.SelfTotal - fixed)) / float64(shards)
	if perShard > 0 {
		c.BreakEvenShards = fixed / perShard
		c.BreakEvenGiB = c.BreakEvenShards * perNodeGiB
	}
	c.RuleStay = c.DataGiB < ruleGB && a.Clusters < ruleClusters
	return c, nil
}

// serverlessMinimumGB is the least storage a serverless cache is billed
// for: 1 GB for Redis OSS, 100 MB for Valkey.
func serverlessMinimumGB(engine string) float64 {
	if strings.EqualFold(engine, "valkey") {
		return 0.1
	}
	return 1
}

// fit is the cheapest instance with at least need GiB.
func fit(ins []Instance, need float64) (Instance, error) {
	ok := slices.DeleteFunc(slices.Clone(ins), func(in Instance) bool { return in.MemoryGiB < need })
	if len(ok) == 0 {
		return Instance{}, fmt.Errorf("no EC2 instance in the price list has %.1f GiB; add a larger family to cost.ec2_families or lower cost.fork_headroom", need)
	}
	return slices.MinFunc(ok, func(a, b Instance) int {
		if a.Hourly != b.Hourly {
			return cmpFloat(a.Hourly, b.Hourly)
		}
		return strings.Compare(a.Type, b.Type)
	}), nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sum(ls []Line) float64 {
	t := 0.0
	for _, l := range ls {
		t += l.Monthly
	}
	return t
}

func compact(x float64) string {
	switch {
	case x >= 1e9:
		return fmt.Sprintf("%.2fG", x/1e9)
	case x >= 1e6:
		return fmt.Sprintf("%.2fM", x/1e6)
	}
	return fmt.Sprintf("%.0f", x)
}
