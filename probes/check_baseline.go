package probes

import (
	"context"
	"fmt"

	"github.com/cutover/cutover/runbook"
)

var baselineCheck = check{
	summary: "Measure the source over thresholds.baseline_window: PING round trips (50 a second on a dedicated connection) for p50/p99, and INFO at the start and the end for hit rate, ops/s, keys and memory.",
	calls: func(cfg *runbook.Config) []string {
		return []string{
			"INFO on " + cfg.Source.URL,
			fmt.Sprintf("PING on %s, %d a second for %s", cfg.Source.URL, SampleRate, cfg.Thresholds.BaselineWindow.Duration),
			"INFO on " + cfg.Source.URL,
		}
	},
	run: func(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		lc := sourceClient(cfg, "latency", PoolSize(1))
		defer lc.Close()
		// A cluster-mode source is counted on all its primaries.
		ic, err := openNodeSet(ctx, cfg, cfg.Source, sourceScope(env, primaries), "baseline")
		if err != nil {
			p.fail("CLUSTER SLOTS on the source", err, "its primaries")
			return p.done("")
		}
		defer ic.Close()
		w, err := measure(ctx, lc, ic.read, cfg.Thresholds.BaselineWindow.Duration, report)
		if err != nil {
			p.fail("INFO on the source", err, "an answer")
			return p.done("")
		}
		if !p.latencyRows(w.lat) {
			return p.done("")
		}
		p50, p99 := w.lat.Quantile(0.5), w.lat.Quantile(0.99)
		p.fact("p50_ms", msFact(p50))
		p.fact(runbook.BaselineP99.Name, msFact(p99))
		p.row("ops/s (cutover's own commands left out)", fmt.Sprintf("%.1f", w.ops), "", true)
		p.fact("ops", fmt.Sprintf("%.1f", w.ops))
		p.row("keys", fmt.Sprint(w.keys), "", true)
		p.fact("keys", fmt.Sprint(w.keys))
		p.row("used_memory", Bytes(float64(w.usedMemory)), "", true)
		p.fact("used_memory", fmt.Sprint(w.usedMemory))
		hit := "no lookups yet"
		if w.hitOK {
			hit = fmt.Sprintf("%.1f%%", w.hitRate*100)
			p.fact(runbook.BaselineHitRate.Name, fmt.Sprintf("%.4f", w.hitRate))
		}
		if w.hitOverall {
			hit += " (since the server started: no lookups in the window)"
			p.warn("no reads on the source during the window; the hit rate is the one since its start")
		}
		if !w.hitOK {
			p.warn("the source has served no lookups: there is no hit rate to compare against later")
		}
		p.row("hit rate", hit, "", true)
		return p.done(fmt.Sprintf("baseline: p50 %s, p99 %s, hit rate %s, %.0f ops/s, %d keys", ms(p50), ms(p99), hit, w.ops, w.keys))
	},
}

// minSamples is the fewest PINGs a p99 is worth reporting from.
const minSamples = 10

// latencyRows records the sample count and quantiles; false when there are
// too few samples to judge.
func (p *proof) latencyRows(l Latency) bool {
	if l.Errors > 0 {
		p.warn("%d PINGs failed; last: %s", l.Errors, Explain(l.LastErr))
	}
	if !p.row("PING samples", fmt.Sprintf("%d (%d failed)", l.N(), l.Errors), fmt.Sprintf("at least %d", minSamples), l.N() >= minSamples) {
		return false
	}
	p.row("p50", ms(l.Quantile(0.5)), "", true)
	p.row("p99", ms(l.Quantile(0.99)), "", true)
	return true
}
