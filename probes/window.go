package probes

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

// window is what one measurement window saw on a server: PING round
// trips, and the INFO deltas between its start and its end.
type window struct {
	lat        Latency
	perSecond  []Latency       // the PINGs of each second
	ends       []time.Duration // when each of those seconds ended, since the start
	dt         time.Duration
	hitRate    float64
	hitOK      bool // there were lookups (in the window, or else since start)
	hitOverall bool // hitRate is since the server started, not over the window
	ops        float64
	keys       int64
	usedMemory int64
}

// measure samples latency on lc and INFO on ic for d, reporting progress
// once a second.
func measure(ctx context.Context, lc *redis.Client, info func(context.Context) (Info, error), d time.Duration, report func(runbook.Progress)) (window, error) {
	var w window
	begin, err := info(ctx)
	if err != nil {
		return w, err
	}
	t0 := time.Now()
	s := Sampler{Client: lc}
	for elapsed := time.Duration(0); elapsed < d && ctx.Err() == nil; elapsed = time.Since(t0) {
		l := s.Sample(ctx, min(time.Second, d-elapsed))
		w.lat.Merge(l)
		w.perSecond, w.ends = append(w.perSecond, l), append(w.ends, time.Since(t0))
		report(runbook.Progress{Done: int64(time.Since(t0).Seconds()), Total: int64(d.Seconds()), Unit: "s",
			Message: fmt.Sprintf("%d PINGs, p50 %s, p99 %s", w.lat.N(), ms(w.lat.Quantile(0.5)), ms(w.lat.Quantile(0.99)))})
	}
	end, err := info(ctx)
	if err != nil {
		return w, err
	}
	w.dt = time.Since(t0)
	w.fill(begin, end, int64(w.lat.N()+w.lat.Errors))
	return w, nil
}

// fill derives the window's rates; own is how many commands cutover sent
// in between, left out of ops/s.
func (w *window) fill(begin, end Info, own int64) {
	own++ // the first INFO is counted after it ran
	w.ops = max(0, float64(end.TotalCommandsProcessed-begin.TotalCommandsProcessed-own)) / w.dt.Seconds()
	w.hitRate, w.hitOK = ratio(end.KeyspaceHits-begin.KeyspaceHits,
		end.KeyspaceHits+end.KeyspaceMisses-begin.KeyspaceHits-begin.KeyspaceMisses)
	if !w.hitOK {
		w.hitRate, w.hitOK = end.HitRate()
		w.hitOverall = w.hitOK
	}
	w.keys, w.usedMemory = end.Keys(), end.UsedMemory
}

// seconds judges each second of the window against lim.
func (w *window) seconds(lim limits) []second {
	secs := make([]second, len(w.perSecond))
	for i, l := range w.perSecond {
		secs[i] = newSecond(w.ends[i], l, lim)
	}
	return secs
}
