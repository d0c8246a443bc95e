package probes

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

// baselineTarget is what the checks that hold the target's primary to
// inventory.baseline start from: the limits, the primary, and one client
// for PINGs and one for INFO, so INFO never queues behind the sampler. A
// cluster target is sampled on its first primary and counted on all of
// them (others), as hit rate and error replies belong to the whole.
type baselineTarget struct {
	lim     limits
	addr    string
	latency *redis.Client
	info    *redis.Client
	others  []*redis.Client
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
	addrs := []string{}
	if cfg.Target.Kind == "cluster" {
		addrs, err = clusterPrimaries(ctx, cfg)
	} else {
		var addr string
		addr, err = TargetPrimary(ctx, cfg)
		addrs = append(addrs, addr)
	}
	if err != nil {
		p.row("target primary", err.Error(), "found", false)
		return nil, false
	}
	t := &baselineTarget{
		lim:     lim,
		addr:    addrs[0],
		latency: targetClient(cfg, "latency", Addr(addrs[0]), PoolSize(1)),
		info:    targetClient(cfg, purpose, Addr(addrs[0]), PoolSize(1)),
	}
	for _, a := range addrs[1:] {
		t.others = append(t.others, targetClient(cfg, purpose, Addr(a), PoolSize(1)))
	}
	return t, true
}

// readInfo is INFO of the primary, summed over every primary of a cluster.
func (t *baselineTarget) readInfo(ctx context.Context) (Info, error) {
	in, err := infoOf(ctx, t.info)
	if err != nil {
		return in, err
	}
	all := []Info{in}
	for _, c := range t.others {
		o, err := infoOf(ctx, c)
		if err != nil {
			return in, fmt.Errorf("%s: %w", c.Options().Addr, err)
		}
		all = append(all, o)
	}
	return sumInfo(all...), nil
}

func (t *baselineTarget) Close() {
	t.latency.Close()
	t.info.Close()
	for _, c := range t.others {
		c.Close()
	}
}
