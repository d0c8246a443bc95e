package probes

import (
	"context"
	"fmt"

	"github.com/cutover/cutover/runbook"
)

var performanceCheck = check{
	summary: "Measure the target's primary as the baseline measured the source (PING p99 over thresholds.baseline_window, hit rate from INFO) and compare with inventory.baseline within latency_margin and hit_rate_margin.",
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
		w, err := measure(ctx, t.latency, t.info, cfg.Thresholds.BaselineWindow.Duration, report)
		if err != nil {
			p.fail("INFO on "+t.addr, err, "an answer")
			return p.done("")
		}
		if w.lat.N() < minSamples {
			p.latencyRows(w.lat)
			return p.done("")
		}
		p99 := w.lat.Quantile(0.99)
		p.row("p99", ms(p99), lim.p99Want, lim.p99OK(p99))
		p.hitRow(w.hitRate, w.hitOK, lim)
		p.fact("p99_ms", msFact(p99))
		if w.hitOK {
			p.fact("hit_rate", fmt.Sprintf("%.4f", w.hitRate))
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
