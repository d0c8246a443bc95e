package probes

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

// baselineTarget is what the checks that hold the target's primary to
// inventory.baseline start from: the limits, the primary, one client for
// PINGs and the INFO reader, so INFO never queues behind the sampler. A
// cluster target is sampled on its first primary and counted on all of
// them, as hit rate and error replies belong to the whole.
type baselineTarget struct {
	lim     limits
	addr    string
	latency *redis.Client
	info    nodeSet
}

// openBaselineTarget finds the limits and the primary; when either is
// missing it records why on p and returns false.
func openBaselineTarget(ctx context.Context, env *runbook.Env, p *proof, purpose string) (*baselineTarget, bool) {
	cfg := env.Config
	lim, err := baselineLimits(env.State, cfg.Thresholds)
	if err != nil {
		p.row("baseline", "missing", "inventory.baseline done", false)
		p.failure = err.Error()
		return nil, false
	}
	var info nodeSet
	if cfg.Target.Kind == "cluster" {
		info, err = openNodeSet(ctx, cfg, cfg.Target.Endpoint, primaries, purpose)
	} else {
		var addr string
		if addr, err = TargetPrimary(ctx, cfg); err == nil {
			info = nodeSet{targetClient(cfg, purpose, Addr(addr), PoolSize(1))}
		}
	}
	if err != nil {
		p.row("target primary", err.Error(), "found", false)
		return nil, false
	}
	addr := info[0].Options().Addr
	return &baselineTarget{lim: lim, addr: addr, info: info, latency: targetClient(cfg, "latency", Addr(addr), PoolSize(1))}, true
}

// readInfo is INFO of the primary, summed over every primary of a cluster.
func (t *baselineTarget) readInfo(ctx context.Context) (Info, error) { return t.info.read(ctx) }

func (t *baselineTarget) Close() {
	t.latency.Close()
	t.info.Close()
}
