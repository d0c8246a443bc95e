package probes

import (
	"context"
	"fmt"
	"time"

	"github.com/cutover/cutover/runbook"
)

var watchCheck = check{
	summary: fmt.Sprintf("Watch the target's primary until p99 latency and hit rate have stayed within the baseline's margins for thresholds.watch_duration, and no cutover error (INFO errorstats: %s) has grown since the watch began; give up after three times that. Each second is judged by its PINGs' p99 less the sampler's own wake-up delay; a window of the last %d s holds when at most %.0f%% of its seconds are over the limit, so a scheduling hiccup passes and sustained latency does not.",
		cutoverErrorNames(), windowSpan, slowShare*100),
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
		start, err := t.readInfo(ctx)
		if err != nil {
			p.fail("INFO on "+t.addr, err, "an answer")
			return p.done("")
		}
		w := watcher{lim: lim, need: env.Config.Thresholds.WatchDuration.Duration, errStart: errorCounts(start), infos: []Info{start}}
		w.run(ctx, Sampler{Client: t.latency}, t.readInfo, 3*w.need, report)
		p.row("held within the margins", fmt.Sprintf("%s of the last %s", w.streak, w.elapsed.Round(time.Second)), fmt.Sprintf("%s in a row", w.need), w.streak >= w.need)
		p.row(fmt.Sprintf("p99 (last %d s, all PINGs)", len(w.window())), ms(w.p99), lim.p99Want, true)
		p.windowRows("latency window now", judge(w.window()), lim)
		if w.broke != nil && w.streak < w.need {
			p.windowRows(fmt.Sprintf("window that last broke the streak (at +%ds)", int(w.brokeAt.Seconds())), *w.broke, lim)
		}
		p.hitRow(w.hit, w.hitKnown, lim)
		errFailure := p.errorRows(w.errStart, errorCounts(w.infos[len(w.infos)-1]))
		if w.err != nil {
			p.warn("last INFO error: %s", Explain(w.err))
		}
		if errFailure != "" {
			p.failure = errFailure
		}
		return p.done(fmt.Sprintf("p99 and hit rate held within the baseline's margins for %s, and no cutover error grew", w.need))
	},
}

func cutoverErrorNames() string {
	s := ""
	for i, e := range cutoverErrors {
		if i > 0 {
			s += ", "
		}
		s += e.name
	}
	return s
}

// watcher judges each second the window of the last windowSpan seconds.
type watcher struct {
	lim      limits
	need     time.Duration
	errStart map[string]int64 // errorstats when the watch began

	secs     []second  // every second so far
	lats     []Latency // the PINGs of the window's seconds
	infos    []Info    // INFO at the end of each of the window's seconds, plus one before
	streak   time.Duration
	elapsed  time.Duration
	p99      time.Duration // over all the window's PINGs
	broke    *verdict      // the last window that did not hold
	brokeAt  time.Duration
	hit      float64
	hitKnown bool
	errored  bool // a cutover error grew: the watch cannot pass any more
	err      error
}

// window is the last windowSpan seconds.
func (w *watcher) window() []second { return w.secs[max(0, len(w.secs)-windowSpan):] }

func (w *watcher) run(ctx context.Context, s Sampler, info func(context.Context) (Info, error), limit time.Duration, report func(runbook.Progress)) {
	start := time.Now()
	for w.streak < w.need && w.elapsed < limit && !w.errored && ctx.Err() == nil {
		sec := time.Now()
		l := s.Sample(ctx, time.Second)
		in, err := info(ctx)
		w.elapsed = time.Since(start)
		w.step(l, in, err, time.Since(sec))
		report(runbook.Progress{Done: int64(w.streak.Seconds()), Total: int64(w.need.Seconds()), Unit: "s",
			Message: fmt.Sprintf("p99 %s (%s), slow seconds %s, hit rate %s", ms(w.p99), w.lim.p99Want, judge(w.window()), pct(w.hit, w.hitKnown))})
	}
}

// step adds one second and extends or breaks the streak.
func (w *watcher) step(l Latency, in Info, err error, d time.Duration) {
	w.secs = append(w.secs, newSecond(w.elapsed, l, w.lim))
	w.lats = append(w.lats, l)
	if len(w.lats) > windowSpan {
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
		if len(w.infos) > windowSpan+1 {
			w.infos = w.infos[1:]
		}
		a, b := w.infos[0], w.infos[len(w.infos)-1]
		w.hit, w.hitKnown = ratio(b.KeyspaceHits-a.KeyspaceHits, b.KeyspaceHits+b.KeyspaceMisses-a.KeyspaceHits-a.KeyspaceMisses)
		for k := range errorGrowth(w.errStart, errorCounts(in)) {
			if isCutoverError(k) {
				w.errored = true
			}
		}
	}
	v := judge(w.window())
	if !v.holds {
		w.broke, w.brokeAt = &v, w.elapsed
	}
	if err == nil && v.holds && all.N() >= minSamples && w.lim.hitOK(w.hit, w.hitKnown) && !w.errored {
		w.streak += d
	} else {
		w.streak = 0
	}
}

func isCutoverError(name string) bool {
	for _, e := range cutoverErrors {
		if e.name == name {
			return true
		}
	}
	return false
}
