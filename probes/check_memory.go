package probes

import (
	"context"
	"fmt"

	"github.com/cutover/cutover/runbook"
)

var memoryCheck = check{
	summary: "Compare the target's memory limit and eviction policy with the source's: maxmemory set and large enough for the source's data, the same maxmemory-policy.",
	calls: func(cfg *runbook.Config) []string {
		calls := []string{"INFO memory on " + cfg.Target.URL, "INFO memory on " + cfg.Source.URL}
		if cfg.Source.Kind == "elasticache" {
			calls = append(calls, "the fact inventory.discover.maxmemory-policy (parameter group)")
		}
		return calls
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		tc := targetClient(cfg, "check")
		defer tc.Close()
		tgt, err := infoOf(ctx, tc, "memory")
		if err != nil {
			p.fail("INFO memory on the target", err, "an answer")
			return p.done("")
		}
		p.row("maxmemory", Bytes(float64(tgt.MaxMemory)), "set (> 0)", tgt.MaxMemory > 0)
		sc := sourceClient(cfg, "check")
		defer sc.Close()
		src, srcErr := infoOf(ctx, sc, "memory")
		policy, from := src.MaxMemoryPolicy, "source INFO"
		if cfg.Source.Kind == "elasticache" {
			policy, from = env.State.Facts[runbook.DiscoverMaxmemoryPolicy], "parameter group"
		}
		switch {
		case policy != "":
			p.row("maxmemory-policy", tgt.MaxMemoryPolicy, policy+" (the "+from+"'s)", tgt.MaxMemoryPolicy == policy)
		case cfg.Source.Kind == "elasticache":
			p.row("maxmemory-policy", tgt.MaxMemoryPolicy, "the source's", false)
			p.failure = "the source's maxmemory-policy is not known: run inventory.discover first"
		default:
			p.fail("maxmemory-policy of the source", srcErr, "known")
		}
		if srcErr != nil {
			p.warn("source INFO memory: %s; the target's room for the data is not checked", Explain(srcErr))
		} else if tgt.MaxMemory > 0 {
			p.row("room for the source's data", fmt.Sprintf("maxmemory %s, source used_memory %s", Bytes(float64(tgt.MaxMemory)), Bytes(float64(src.UsedMemory))),
				"maxmemory above the source's used_memory", tgt.MaxMemory > src.UsedMemory)
		}
		return p.done(fmt.Sprintf("maxmemory %s, policy %s as on the source", Bytes(float64(tgt.MaxMemory)), tgt.MaxMemoryPolicy))
	},
}
