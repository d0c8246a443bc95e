package probes

import (
	"context"
	"fmt"
	"time"

	"github.com/cutover/cutover/runbook"
)

// watchSpan is the rolling window each second's judgement looks at.
const watchSpan = 5

var watchCheck = check{
	summary: "Watch the target's primary until p99 latency and hit rate have stayed within the baseline's margins for thresholds.watch_duration (judged each second over the last 5 s); give up after three times that.",
	calls: func(cfg *runbook.Config) []string {
		return []string{fmt.Sprintf("PING on the target's primary, %d a second, and INFO once a second, for up to %s", SampleRate, 3*cfg.Thresholds.WatchDuration.Duration)}
	},
	run: func(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) runbook.Result {
		var p proof
		t, ok := openBaselineTarget(ctx, env, &p, "watch")
		if !ok {
			return p.done("")
		}
		defer t.Close()
		lim := t.lim
		w := watcher{lim: lim, need: env.Config.Thresholds.WatchDuration.Duration}
		w.run(ctx, Sampler{Client: t.latency}, func(ctx context.Context) (Info, error) { return infoOf(ctx, t.info) }, 3*w.need, report)
		p.row("held within the margins", fmt.Sprintf("%s of the last %s", w.streak, w.elapsed.Round(time.Second)), fmt.Sprintf("%s in a row", w.need), w.streak >= w.need)
		p.row("p99 (last 5 s)", ms(w.p99), lim.p99Want, lim.p99OK(w.p99))
		p.hitRow(w.hit, w.hitKnown, lim)
		if w.err != nil {
			p.warn("last INFO error: %s", Explain(w.err))
		}
		return p.done(fmt.Sprintf("p99 and hit rate held within the baseline's margins for %s", w.need))
	},
}

// watcher judges each second over the last watchSpan seconds.
type watcher struct {
	lim  limits
	need time.Duration

	lats     []Latency // the last watchSpan seconds of PINGs
	infos    []Info    // INFO at the end of each of the last seconds, plus one before
	streak   time.Duration
	elapsed  time.Duration
	p99      time.Duration
	hit      float64
	hitKnown bool
	err      error
}

func (w *watcher) run(ctx context.Context, s Sampler, info func(context.Context) (Info, error), limit time.Duration, report func(runbook.Progress)) {
	start := time.Now()
	if in, err := info(ctx); err == nil {
		w.infos = append(w.infos, in)
	}
	for w.streak < w.need && w.elapsed < limit && ctx.Err() == nil {
		sec := time.Now()
		l := s.Sample(ctx, time.Second)
		in, err := info(ctx)
		w.step(l, in, err, time.Since(sec))
		w.elapsed = time.Since(start)
		report(runbook.Progress{Done: int64(w.streak.Seconds()), Total: int64(w.need.Seconds()), Unit: "s",
			Message: fmt.Sprintf("p99 %s (%s), hit rate %s", ms(w.p99), w.lim.p99Want, pct(w.hit, w.hitKnown))})
	}
}

// step adds one second and extends or breaks the streak.
func (w *watcher) step(l Latency, in Info, err error, d time.Duration) {
	w.lats = append(w.lats, l)
	if len(w.lats) > watchSpan {
		w.lats = w.lats[1:]
	}
	var all Latency
	for _, x := range w.lats {
		all.Merge(x)
	}
	w.p99 = all.Quantile(0.99)
	w.err = err
	if err == nil {
		w.infos = append(w.infos, in)
		if len(w.infos) > watchSpan+1 {
			w.infos = w.infos[1:]
		}
		a, b := w.infos[0], w.infos[len(w.infos)-1]
		w.hit, w.hitKnown = ratio(b.KeyspaceHits-a.KeyspaceHits, b.KeyspaceHits+b.KeyspaceMisses-a.KeyspaceHits-a.KeyspaceMisses)
	}
	holds := err == nil && all.N() >= minSamples && w.lim.p99OK(w.p99) && w.lim.hitOK(w.hit, w.hitKnown)
	if holds {
		w.streak += d
	} else {
		w.streak = 0
	}
}
