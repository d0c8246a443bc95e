package probes

import (
	"context"
	"fmt"

	"github.com/cutover/cutover/runbook"
)

// memoryHeadroom is the room above the source's used_memory the target
// needs: the load and the replication buffers (and fragmentation) come on
// top of the data, and a target at its limit evicts or refuses writes
// right after the swap.
const memoryHeadroom = 1.2

var memoryCheck = check{
	summary: "Compare the target's memory limit and eviction policy with the source's: maxmemory set and at least the source's used_memory with 20% headroom, the same maxmemory-policy.",
	calls: func(cfg *runbook.Config) []string {
		calls := []string{"INFO memory on " + cfg.Target.URL + " (every primary of a cluster, summed)", "INFO memory on " + cfg.Source.URL + " (every primary of a cluster-mode source, summed)"}
		switch cfg.Source.Kind {
		case runbook.KindElastiCache:
			calls = append(calls, "the fact inventory.discover.maxmemory-policy (parameter group)")
		case runbook.KindServerless:
			calls = append(calls, "the fact inventory.discover.maxmemory-policy (how a serverless cache evicts)")
		}
		return calls
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		// A cluster's limit and the data it must hold are its primaries' summed.
		ts, err := targetNodes(ctx, cfg, "check")
		if err != nil {
			p.fail("the target's primaries", err, "found")
			return p.done("")
		}
		defer ts.Close()
		tgt, err := ts.read(ctx)
		if err != nil {
			p.fail("INFO memory on the target", err, "an answer")
			return p.done("")
		}
		if !p.row("maxmemory", Bytes(float64(tgt.MaxMemory)), "set (> 0)", tgt.MaxMemory > 0) {
			p.fix("CONFIG SET maxmemory <bytes> on the target (and in its redis.conf), at least the source's used_memory x %.2f: without a limit it grows until the host runs out of memory", memoryHeadroom)
		}
		src, srcErr := Info{}, error(nil)
		ss, srcErr := openNodeSet(ctx, cfg, cfg.Source, sourceScope(env, primaries), "check")
		if srcErr == nil {
			defer ss.Close()
			src, srcErr = ss.read(ctx)
		}
		policy, from := src.MaxMemoryPolicy, "source INFO"
		switch cfg.Source.Kind {
		case runbook.KindElastiCache:
			policy, from = env.State.Facts[runbook.DiscoverMaxmemoryPolicy], "parameter group"
		case runbook.KindServerless:
			policy, from = env.State.Facts[runbook.DiscoverMaxmemoryPolicy], "serverless cache"
		}
		switch {
		case policy != "":
			if !p.row("maxmemory-policy", tgt.MaxMemoryPolicy, policy+" (the "+from+"'s)", tgt.MaxMemoryPolicy == policy) {
				p.fix("CONFIG SET maxmemory-policy %s on the target (and `maxmemory-policy %s` in its redis.conf)", policy, policy)
			}
		case cfg.Source.ElastiCache():
			p.row("maxmemory-policy", tgt.MaxMemoryPolicy, "the source's", false)
			p.failure = "the source's maxmemory-policy is not known: run inventory.discover first"
		default:
			p.fail("maxmemory-policy of the source", srcErr, "known")
		}
		if srcErr != nil {
			p.warn("source INFO memory: %s; the target's room for the data is not checked", Explain(srcErr))
		} else if tgt.MaxMemory > 0 {
			need := int64(float64(src.UsedMemory) * memoryHeadroom)
			if !p.row("room for the source's data", fmt.Sprintf("maxmemory %s, source used_memory %s", Bytes(float64(tgt.MaxMemory)), Bytes(float64(src.UsedMemory))),
				fmt.Sprintf("at least %s (used_memory x %.2f)", Bytes(float64(need)), memoryHeadroom), tgt.MaxMemory >= need) {
				p.fix("CONFIG SET maxmemory %d on the target (and `maxmemory %d` in its redis.conf)", need, need)
			}
		}
		return p.done(fmt.Sprintf("maxmemory %s, policy %s as on the source", Bytes(float64(tgt.MaxMemory)), tgt.MaxMemoryPolicy))
	},
}
