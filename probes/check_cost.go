package probes

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/cutover/cutover/cost"
	"github.com/cutover/cutover/runbook"
)

// costDays is the usage window a serverless cache is priced on.
const costDays = 30

var costCheck = check{
	summary: "Price staying on ElastiCache against running the same cache yourself, from the AWS Price List API, and record the decision's numbers.",
	calls: func(cfg *runbook.Config) []string {
		calls := []string{"ElastiCache DescribeReplicationGroups " + cfg.Source.ReplicationGroup}
		if cfg.Source.Serverless() {
			calls = []string{"ElastiCache DescribeServerlessCaches " + cfg.Source.ServerlessCache,
				fmt.Sprintf("CloudWatch GetMetricData BytesUsedForCache and ElastiCacheProcessingUnits of %s over %d days", cfg.Source.ServerlessCache, costDays)}
		}
		return append(calls,
			"Price List GetProducts (us-east-1 endpoint) for "+cfg.AWS.Region+": the ElastiCache node type or serverless usage, EC2 "+strings.Join(cfg.Cost.EC2Families, "/")+" and t4g.small, EBS gp3, intra-region transfer",
			"INFO stats on "+cfg.Source.URL+" (the write rate replication carries)")
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		var p proof
		c, src, ok := p.costCase(ctx, env.Config)
		if !ok {
			return p.done("")
		}
		a := env.Config.Cost
		for _, side := range []struct {
			name  string
			lines []cost.Line
			total float64
		}{{"ElastiCache", c.Managed, c.ManagedTotal}, {"self-managed", c.Self, c.SelfTotal}} {
			for _, l := range side.lines {
				p.row(side.name+": "+l.Item, cost.Money(l.Monthly)+"/month: "+l.Detail, "", true)
			}
			p.row(side.name+": total", cost.Money(side.total)+"/month", "", true)
		}
		p.fact(runbook.CostManaged.Name, fmt.Sprintf("%.0f", c.ManagedTotal))
		p.fact(runbook.CostSelf.Name, fmt.Sprintf("%.0f", c.SelfTotal))
		p.fact(runbook.CostBreakEven.Name, c.BreakEven(src))
		p.fact(runbook.CostRule.Name, c.Rule(a.Clusters))
		if c.PaybackMonths > 0 {
			p.fact("payback_months", fmt.Sprintf("%.1f", c.PaybackMonths))
		}
		p.fact(runbook.CostVerdict.Name, c.Verdict())
		if c.Saving <= 0 || c.RuleStay {
			p.warn("%s; the playbook's rule: %s. Going ahead is a decision to record with its reason", c.Verdict(), c.Rule(a.Clusters))
		}
		return p.done(c.Verdict())
	},
}

// costCase gathers the inventory and the prices and estimates.
func (p *proof) costCase(ctx context.Context, cfg *runbook.Config) (cost.Case, cost.Source, bool) {
	awsCfg, err := AWSConfig(ctx, cfg.AWS)
	if err != nil {
		p.row("AWS", err.Error(), "credentials and a region", false)
		return cost.Case{}, cost.Source{}, false
	}
	pl := NewPriceList(awsCfg, cfg.AWS)
	src, ok := p.costSource(ctx, cfg, awsCfg, pl)
	if !ok {
		return cost.Case{}, src, false
	}
	var prices cost.Prices
	if prices.EC2, err = pl.Instances(ctx, cfg.Cost.EC2Families); err != nil {
		p.row("EC2 prices", err.Error(), "priced", false)
		return cost.Case{}, src, false
	}
	if prices.Sentinel, err = pl.Instance(ctx, "t4g.small"); err != nil {
		p.row("sentinel instance price", err.Error(), "priced", false)
		return cost.Case{}, src, false
	}
	if prices.GP3GBMonth, err = pl.GP3(ctx); err != nil {
		p.row("EBS gp3 price", err.Error(), "priced", false)
		return cost.Case{}, src, false
	}
	if prices.CrossAZPerGB, err = pl.CrossAZ(ctx); err != nil {
		p.row("cross-AZ transfer price", err.Error(), "priced", false)
		return cost.Case{}, src, false
	}
	src.WriteBytesPerSec = p.writeRate(ctx, cfg, src.ClusterMode)
	c, err := cost.Estimate(src, prices, cfg.Cost)
	if err != nil {
		p.row("self-managed sizing", err.Error(), "an instance that fits", false)
		return c, src, false
	}
	return c, src, true
}

// costSource is the source's shape and its ElastiCache prices.
func (p *proof) costSource(ctx context.Context, cfg *runbook.Config, awsCfg aws.Config, pl *PriceList) (cost.Source, bool) {
	ec := elastiCache(awsCfg, cfg.AWS)
	if cfg.Source.Serverless() {
		name := cfg.Source.ServerlessCache
		sc, err := serverlessCache(ctx, ec, name)
		if err != nil {
			p.row("serverless cache "+name, err.Error(), "described", false)
			return cost.Source{}, false
		}
		src := cost.Source{Name: name, Engine: priceEngine(aws.ToString(sc.Engine)), Serverless: true, ServerlessRF: 2}
		if src.StorageHour, src.ECPUPrice, err = pl.Serverless(ctx, src.Engine); err != nil {
			p.row("serverless prices", err.Error(), "priced", false)
			return src, false
		}
		if src.StoredGiB, src.ECPUs, err = serverlessUsage(ctx, awsCfg, cfg.AWS, name); err != nil {
			p.row("serverless usage", err.Error(), fmt.Sprintf("%d days of CloudWatch data", costDays), false)
			return src, false
		}
		p.row("serverless usage", fmt.Sprintf("%.2f GB stored on average, %s ECPUs in %d days", src.StoredGiB, fmt.Sprintf("%.0f", src.ECPUs), costDays), "", true)
		return src, true
	}
	if cfg.Source.Kind != runbook.KindElastiCache {
		p.row("source", "self-managed: there is no ElastiCache bill to compare", "an ElastiCache source", false)
		return cost.Source{}, false
	}
	rg, err := replicationGroup(ctx, ec, cfg.Source.ReplicationGroup)
	if err != nil {
		p.row("replication group "+cfg.Source.ReplicationGroup, err.Error(), "described", false)
		return cost.Source{}, false
	}
	src := cost.Source{Name: cfg.Source.ReplicationGroup, Engine: priceEngine(aws.ToString(rg.Engine)), NodeType: aws.ToString(rg.CacheNodeType),
		Shards: len(rg.NodeGroups), ClusterMode: clusterMode(rg) == "enabled"}
	if len(rg.NodeGroups) > 0 {
		src.ReplicasPerShard = max(0, len(rg.NodeGroups[0].NodeGroupMembers)-1)
	}
	if src.NodeMemoryGiB, src.NodeHourly, err = pl.CacheNode(ctx, src.Engine, src.NodeType); err != nil {
		p.row("ElastiCache node price", err.Error(), "priced", false)
		return src, false
	}
	p.row("inventory", fmt.Sprintf("%s %s: %d shard(s) × (1 primary + %d replica(s)), %.2f GiB each", src.Engine, src.NodeType, src.Shards, src.ReplicasPerShard, src.NodeMemoryGiB), "", true)
	return src, true
}

// priceEngine spells an engine the way the price list does.
func priceEngine(engine string) string {
	if strings.EqualFold(engine, "valkey") {
		return "Valkey"
	}
	return "Redis"
}

// writeRate is INFO's input bytes over uptime, summed over the primaries
// of a cluster-mode source: an upper bound on what replication carries.
// Unreachable, it is 0 and a warning says so.
func (p *proof) writeRate(ctx context.Context, cfg *runbook.Config, cluster bool) float64 {
	sc := oneNode
	if cluster {
		sc = primaries
	}
	nodes, err := openNodeSet(ctx, cfg, cfg.Source, sc, "cost")
	if err != nil {
		p.warn("the write rate is unknown (%v): cross-AZ replication traffic is not counted", err)
		return 0
	}
	defer nodes.Close()
	rate, up := 0.0, int64(0)
	for _, c := range nodes {
		in, err := infoOf(ctx, c, "server", "stats")
		if err != nil {
			p.warn("the write rate is unknown (INFO on %s: %v): cross-AZ replication traffic is not counted", c.Options().Addr, err)
			return 0
		}
		up = max(in.Uptime, 1)
		rate += float64(in.TotalNetInputBytes) / float64(up)
	}
	what := fmt.Sprintf("input bytes over %s of uptime", time.Duration(up)*time.Second)
	if len(nodes) > 1 {
		what = fmt.Sprintf("input bytes over uptime, summed over %d primaries", len(nodes))
	}
	p.row("write rate", fmt.Sprintf("%.3f MB/s (%s)", rate/1e6, what), "", true)
	return rate
}

// serverlessUsage is the mean stored bytes (as GB) and the ECPUs used
// over costDays, from CloudWatch.
func serverlessUsage(ctx context.Context, awsCfg aws.Config, c runbook.AWS, name string) (gb, ecpus float64, err error) {
	ctx, cancel := context.WithTimeout(ctx, AWSTimeout)
	defer cancel()
	cw := cloudwatch.NewFromConfig(awsCfg, func(o *cloudwatch.Options) { o.BaseEndpoint = AWSEndpoint(c) })
	now := time.Now()
	q := func(id, metric, stat string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ElastiCache"), MetricName: aws.String(metric),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("clusterId"), Value: aws.String(name)}}},
			Period: aws.Int32(86400), Stat: aws.String(stat)}}
	}
	out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.AddDate(0, 0, -costDays)), EndTime: aws.Time(now),
		MetricDataQueries: []cwtypes.MetricDataQuery{q("bytes", "BytesUsedForCache", "Average"), q("ecpu", "ElastiCacheProcessingUnits", "Sum")},
	})
	if err != nil {
		return 0, 0, fmt.Errorf("CloudWatch GetMetricData for %s: %s", name, ExplainAWS(err))
	}
	var bytesDays int
	for _, r := range out.MetricDataResults {
		for _, v := range r.Values {
			switch aws.ToString(r.Id) {
			case "bytes":
				gb += v / 1e9
				bytesDays++
			case "ecpu":
				ecpus += v
			}
		}
	}
	if bytesDays == 0 {
		return 0, 0, fmt.Errorf("CloudWatch has no BytesUsedForCache for %s in the last %d days", name, costDays)
	}
	return gb / float64(bytesDays), ecpus, nil
}
