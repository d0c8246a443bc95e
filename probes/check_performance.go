package probes

import (
	"context"
	"fmt"

	"github.com/cutover/cutover/runbook"
)

var performanceCheck = check{
	summary: fmt.Sprintf("Measure the target's primary as the baseline measured the source (PINGs over thresholds.baseline_window, hit rate from INFO) and compare with inventory.baseline within latency_margin (at least +latency_slack) and hit_rate_margin. Each second is judged by its p99 less the sampler's own wake-up delay; the window holds when at most %.0f%% of its seconds are over the limit.", slowShare*100),
	calls: func(cfg *runbook.Config) []string {
		return []string{
			"INFO on the target's primary",
			fmt.Sprintf("PING on the target's primary, %d a second for %s", SampleRate, cfg.Thresholds.BaselineWindow.Duration),
			"INFO on the target's primary",
		}
	},
	run: func(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		t, ok := openBaselineTarget(ctx, env, &p, "performance")
		if !ok {
			return p.done("")
		}
		defer t.Close()
		lim := t.lim
		w, err := measure(ctx, t.latency, t.readInfo, cfg.Thresholds.BaselineWindow.Duration, report)
		if err != nil {
			p.fail("INFO on "+t.addr, err, "an answer")
			return p.done("")
		}
		if w.lat.N() < minSamples {
			p.latencyRows(w.lat)
			return p.done("")
		}
		p99 := w.lat.Quantile(0.99)
		p.row("p99 (all PINGs)", ms(p99), "", true)
		v := judge(w.seconds(lim))
		p.windowRows("latency window", v, lim)
		p.hitRow(w.hitRate, w.hitOK, lim)
		p.fact("p99_ms", msFact(p99))
		if w.hitOK {
			p.fact("hit_rate", fmt.Sprintf("%.4f", w.hitRate))
		}
		if !v.holds {
			p.failure = fmt.Sprintf("p99 on the target is over %s in %s: %s", ms(lim.maxP99), v, joinSeconds(v.slow))
			if !lim.hitOK(w.hitRate, w.hitOK) {
				p.failure += "; and the hit rate is " + pct(w.hitRate, w.hitOK) + " (want " + lim.hitWant + ")"
			}
		}
		return p.done(fmt.Sprintf("p99 %s and hit rate %s on the target, within the baseline's margins", ms(p99), pct(w.hitRate, w.hitOK)))
	},
}

// hitRow records the hit rate against the baseline.
func (p *proof) hitRow(rate float64, known bool, lim limits) {
	switch {
	case !lim.hasHit:
		p.warn("the baseline has no hit rate (the source served no lookups); not compared")
		p.row("hit rate", pct(rate, known), "not compared (no baseline hit rate)", true)
	case !known:
		p.warn("the target served no lookups: its hit rate cannot be compared yet")
		p.row("hit rate", "no lookups", lim.hitWant, true)
	default:
		p.row("hit rate", pct(rate, true), lim.hitWant, lim.hitOK(rate, true))
	}
}

func pct(rate float64, known bool) string {
	if !known {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", rate*100)
}
