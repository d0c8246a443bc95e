package probes

import (
	"context"
	"fmt"

	"github.com/cutover/cutover/runbook"
)

var discoverCheck = check{
	summary: "Inventory the source: what ElastiCache manages (from its API: the replication group or the serverless cache) or what a self-managed server runs (from INFO and CONFIG).",
	calls: func(cfg *runbook.Config) []string {
		if cfg.Source.Serverless() {
			n := cfg.Source.ServerlessCache
			return []string{
				"ElastiCache DescribeServerlessCaches " + n,
				"ElastiCache DescribeUserGroups and DescribeUsers (its user group)",
				"no CONFIG GET: " + serverlessNoConfig,
			}
		}
		if cfg.Source.Kind == runbook.KindElastiCache {
			g := cfg.Source.ReplicationGroup
			return []string{
				"ElastiCache DescribeReplicationGroups " + g,
				"ElastiCache DescribeCacheClusters (the primary node of " + g + ")",
				"ElastiCache DescribeCacheParameters (its parameter group)",
			}
		}
		return []string{"INFO on " + cfg.Source.URL, "CONFIG GET of " + fmt.Sprint(redisDefaultNames()) + " on " + cfg.Source.URL}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		var p proof
		switch env.Config.Source.Kind {
		case runbook.KindServerless:
			return p.discoverServerless(ctx, env.Config)
		case runbook.KindElastiCache:
			return p.discoverElastiCache(ctx, env.Config)
		}
		return p.discoverRedis(ctx, env.Config)
	},
}

// found records a discovered fact as evidence and as an output.
func (p *proof) found(name, value string) {
	p.row(name, value, "", true)
	p.fact(name, value)
}
