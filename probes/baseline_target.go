package probes

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

// baselineTarget is what the checks that hold the target's primary to
// inventory.baseline start from: the limits, the primary, and one client
// for PINGs and one for INFO, so INFO never queues behind the sampler.
type baselineTarget struct {
	lim     limits
	addr    string
	latency *redis.Client
	info    *redis.Client
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
	addr, err := TargetPrimary(ctx, cfg)
	if err != nil {
		p.row("target primary", err.Error(), "found", false)
		return nil, false
	}
	return &baselineTarget{
		lim:     lim,
		addr:    addr,
		latency: targetClient(cfg, "latency", Addr(addr), PoolSize(1)),
		info:    targetClient(cfg, purpose, Addr(addr), PoolSize(1)),
	}, true
}

func (t *baselineTarget) Close() {
	t.latency.Close()
	t.info.Close()
}
