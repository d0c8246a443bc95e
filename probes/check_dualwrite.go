package probes

import (
	"context"
	"fmt"
	"time"

	"github.com/cutover/cutover/runbook"
)

// dualWriteCheck runs until the target's key count reaches
// thresholds.convergence of the source's, showing the gauge as progress;
// Verify measures once.
var dualWriteCheck = check{
	summary: "Gauge dual-write convergence: target keys / source keys (INFO keyspace) and the target's hit rate (INFO stats), once per poll_interval until the ratio reaches thresholds.convergence.",
	calls: func(cfg *runbook.Config) []string {
		return []string{fmt.Sprintf("every %s: INFO keyspace on %s; INFO on the target's primary", cfg.PollInterval.Duration, cfg.Source.URL)}
	},
	run: func(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) runbook.Result {
		return convergence(ctx, env, report, true)
	},
	verify: func(ctx context.Context, env *runbook.Env) runbook.Result {
		return convergence(ctx, env, func(runbook.Progress) {}, false)
	},
}

func convergence(ctx context.Context, env *runbook.Env, report func(runbook.Progress), wait bool) runbook.Result {
	cfg := env.Config
	goal := cfg.Thresholds.Convergence
	sc := sourceClient(cfg, "dualwrite", PoolSize(1))
	defer sc.Close()
	tc, addr, err := primaryClient(ctx, cfg, "dualwrite")
	if err != nil {
		var p proof
		p.row("target primary", err.Error(), "found", false)
		return p.done("")
	}
	defer tc.Close()
	var prev Sample
	for {
		var p proof
		src, serr := infoOf(ctx, sc, "keyspace")
		tgt, terr := infoOf(ctx, tc)
		cur := Sample{Time: time.Now(), Addr: addr, Info: tgt, Err: terr}
		switch {
		case serr != nil:
			p.fail("INFO keyspace on the source", serr, "an answer")
		case terr != nil:
			p.fail("INFO on "+addr, terr, "an answer")
		default:
			s, t := src.Keys(), tgt.Keys()
			ratio := 1.0
			if s > 0 {
				ratio = float64(t) / float64(s)
			}
			p.row("convergence", fmt.Sprintf("%.1f%% (target %d keys, source %d)", ratio*100, t, s), fmt.Sprintf(">= %.1f%%", goal*100), ratio >= goal)
			r := Derive(prev, cur)
			hit, known := r.HitRate, r.Valid && r.HitRateOK
			if !known {
				hit, known = tgt.HitRate()
			}
			p.row("target hit rate", pct(hit, known), "", true)
			p.fact("ratio", fmt.Sprintf("%.4f", ratio))
			report(runbook.Progress{Done: t, Total: s, Unit: "keys", Message: fmt.Sprintf("convergence %.1f%%, target hit rate %s", ratio*100, pct(hit, known))})
		}
		prev = cur
		res := p.done(fmt.Sprintf("target has reached %.0f%% of the source's keys", goal*100))
		if res.OK || !wait {
			return res
		}
		select {
		case <-ctx.Done():
			return res
		case <-time.After(cfg.PollInterval.Duration):
		}
	}
}
