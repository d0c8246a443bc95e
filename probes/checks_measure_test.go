package probes

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

// traffic reads keys on c until the test ends: hits on k:0..9, and every
// so often a miss on miss:N, so any window's hit rate is about hitRate.
func traffic(t *testing.T, c *redis.Client, hitRate float64) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stopped atomic.Bool
	done := make(chan struct{})
	t.Cleanup(func() { stopped.Store(true); cancel(); <-done })
	for i := range 10 {
		if err := c.Set(ctx, fmt.Sprintf("k:%d", i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	go func() {
		defer close(done)
		for i := 0; !stopped.Load(); i++ {
			key := fmt.Sprintf("k:%d", i%10)
			if float64(i%20) >= hitRate*20 {
				key = fmt.Sprintf("miss:%d", i)
			}
			c.Get(ctx, key)
			time.Sleep(2 * time.Millisecond)
		}
	}()
}

func TestBaselinePerformanceWatch(t *testing.T) {
	t.Parallel()
	src := redisPW(t, "pw")
	tgt := redisPW(t, "pw")
	sc, tc := Client(source(src.Addr(), "pw"), "app"), Client(target(tgt.Addr(), "pw"), "app")
	defer sc.Close()
	defer tc.Close()
	traffic(t, sc, 0.9)
	traffic(t, tc, 0.9)
	cfg := labConfig(source(src.Addr(), "pw"), target(tgt.Addr(), "pw"))

	var reports int
	ex := Checks()["inventory.baseline"]
	res, err := ex.Run(context.Background(), envFor(cfg, nil), func(runbook.Progress) { reports++ })
	if err != nil || !res.OK {
		t.Fatalf("baseline: %v %+v", err, res)
	}
	if reports == 0 {
		t.Fatal("no progress during the window")
	}
	for _, k := range []string{"p50_ms", "p99_ms", "hit_rate", "ops", "keys", "used_memory"} {
		if res.Outputs[k] == "" {
			t.Fatalf("no %s in %v", k, res.Outputs)
		}
	}
	if hit, _ := strconv.ParseFloat(res.Outputs["hit_rate"], 64); res.Outputs["keys"] != "10" || hit < 0.8 || hit > 0.97 {
		t.Fatalf("outputs %v", res.Outputs)
	}
	facts := runbook.Facts{}
	facts.Record(runbook.InventoryBaseline, res.Outputs)
	t.Logf("baseline p99 %s ms", facts[runbook.BaselineP99])

	// The measured baseline, on the same busy machine: the target holds it.
	res = runCheck(t, "verify.performance", envFor(cfg, facts))
	wantResult(t, res, true, "within the baseline's margins")

	res = runCheck(t, "cutover.watch", envFor(cfg, facts))
	wantResult(t, res, true, "held within the baseline's margins for 2s")
	if e := evidence(t, res, "errorstat_NOAUTH since the watch began"); !e.OK || e.Value != "+0" {
		t.Fatalf("NOAUTH row %+v", e)
	}

	// A baseline the target cannot meet: a higher hit rate.
	hit := facts[runbook.BaselineHitRate]
	facts[runbook.BaselineHitRate] = "0.9999"
	res = runCheck(t, "verify.performance", envFor(cfg, facts))
	wantResult(t, res, false, "hit rate: ")
	wantContains(t, res.Summary, "(want >= 95.0% (baseline 100.0% - 5.0 points))")
	facts[runbook.BaselineHitRate] = hit

	res = runCheck(t, "verify.performance", envFor(cfg, nil))
	wantResult(t, res, false, "no baseline p99: run inventory.baseline first")
}

// sleepBursts blocks the server with DEBUG SLEEP for 30 ms of every 100
// until the test ends: a target that really is slower.
func sleepBursts(t *testing.T, addr, pw string) {
	t.Helper()
	c := Client(target(addr, pw), "debug-sleep", Timeout(time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done; c.Close() })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			c.Do(ctx, "DEBUG", "SLEEP", "0.03")
			time.Sleep(70 * time.Millisecond)
		}
	}()
}

func TestSlowTargetFailsPerformanceAndWatch(t *testing.T) {
	t.Parallel()
	tgt := redisPW(t, "pw", "enable-debug-command yes")
	cfg := labConfig(source(tgt.Addr(), "pw"), target(tgt.Addr(), "pw"))
	cfg.Thresholds.BaselineWindow.Duration = 3 * time.Second
	cfg.Thresholds.WatchDuration.Duration = time.Second
	facts := runbook.Facts{runbook.BaselineP99: "1.000"}
	sleepBursts(t, tgt.Addr(), "pw")

	res := runCheck(t, "verify.performance", envFor(cfg, facts))
	wantResult(t, res, false, "p99 on the target is over 6.000 ms in 3 of 3 seconds over the limit (at most 0 allowed): +1s p99 ")
	if e := evidence(t, res, "slow second"); e.OK || !strings.HasPrefix(e.Value, "+1s p99 ") {
		t.Fatalf("slow second row %+v", e)
	}
	series := evidence(t, res, "latency window: p99 per second, ms (! over the limit)").Value
	if strings.Count(series, "!") != 3 {
		t.Fatalf("series %q: want 3 slow seconds marked", series)
	}

	res = runCheck(t, "cutover.watch", envFor(cfg, facts))
	wantResult(t, res, false, "held within the margins: 0s of the last 3s (want 1s in a row)")
	e := evidence(t, res, "latency window now")
	// A loaded CI machine may lose one burst to the sampler's own delay:
	// the window still fails for the slow seconds.
	if e.OK || !strings.Contains(e.Value, " of 3 seconds over the limit") {
		t.Fatalf("window row %+v", e)
	}
	if e := evidence(t, res, "slow second"); e.OK {
		t.Fatalf("slow second row %+v", e)
	}
}

func TestWatchFailsOnAuthErrors(t *testing.T) {
	t.Parallel()
	tgt := redisPW(t, "pw")
	cfg := labConfig(source(tgt.Addr(), "pw"), target(tgt.Addr(), "pw"))
	cfg.Thresholds.WatchDuration.Duration = 5 * time.Second
	facts := runbook.Facts{runbook.BaselineP99: "1000.000"}
	// An application instance that never got the target's password.
	anon := Client(target(tgt.Addr(), ""), "app", NoAuth())
	defer anon.Close()
	anon.Get(context.Background(), "before") // counted before the watch: a warning, not a failure
	go func() {
		time.Sleep(1500 * time.Millisecond)
		anon.Get(context.Background(), "k")
		anon.Get(context.Background(), "k")
	}()
	start := time.Now()
	res := runCheck(t, "cutover.watch", envFor(cfg, facts))
	wantResult(t, res, false, "errors on the target since the watch began: NOAUTH +2 (clients send commands without authenticating")
	wantContains(t, res.Summary, "fix: give every application the target's password")
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("the watch went on for %s after the errors", d)
	}
	if e := evidence(t, res, "errorstat_NOAUTH since the watch began"); e.OK || !strings.HasPrefix(e.Value, "+2: ") {
		t.Fatalf("NOAUTH row %+v", e)
	}
	wantContains(t, strings.Join(res.Warnings, "\n"), "before the watch began the target had already returned: NOAUTH ")
}

func TestWatchGivesUp(t *testing.T) {
	t.Parallel()
	tgt := redisPW(t, "pw")
	tc := Client(target(tgt.Addr(), "pw"), "app")
	defer tc.Close()
	traffic(t, tc, 0.5)
	cfg := labConfig(source(tgt.Addr(), "pw"), target(tgt.Addr(), "pw"))
	cfg.Thresholds.WatchDuration.Duration = time.Second
	facts := runbook.Facts{runbook.BaselineP99: "0.100", runbook.BaselineHitRate: "0.9900"}
	start := time.Now()
	res := runCheck(t, "cutover.watch", envFor(cfg, facts))
	wantResult(t, res, false, "held within the margins: 0s of the last 3s")
	if d := time.Since(start); d > 6*time.Second {
		t.Fatalf("gave up after %s, want about 3s", d)
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	st := runbook.NewState(runbook.New(), "redis", "standalone")
	st.Facts[runbook.BaselineP99] = "4.000"
	st.Facts[runbook.BaselineHitRate] = "0.9"
	th := runbook.Thresholds{LatencyMargin: 0.25, HitRateMargin: 0.05, LatencySlack: runbook.Duration{Duration: 500 * time.Microsecond}}
	l, err := baselineLimits(&st, th)
	if err != nil {
		t.Fatal(err)
	}
	if l.maxP99 != 5*time.Millisecond || !l.p99OK(5*time.Millisecond) || l.p99OK(5100*time.Microsecond) {
		t.Fatalf("p99 limit %s", l.maxP99)
	}
	if !l.hitOK(0.85, true) || l.hitOK(0.849, true) || !l.hitOK(0, false) {
		t.Fatalf("hit limit %v", l.minHit)
	}
	// Tiny baselines get the absolute slack.
	st.Facts[runbook.BaselineP99] = "0.100"
	l, _ = baselineLimits(&st, th)
	if l.maxP99 != 600*time.Microsecond {
		t.Fatalf("slack limit %s", l.maxP99)
	}
}

func TestDataParity(t *testing.T) {
	t.Parallel()
	src, tgt := redisPW(t, "pw"), redisPW(t, "pw")
	sc, tc := Client(source(src.Addr(), "pw"), "t"), Client(target(tgt.Addr(), "pw"), "t")
	defer sc.Close()
	defer tc.Close()
	ctx := context.Background()
	fill := func(c *redis.Client, db, n int) {
		p := c.Pipeline()
		p.Do(ctx, "SELECT", db)
		for i := range n {
			p.Set(ctx, fmt.Sprintf("key:%d", i), "v", 0)
		}
		p.Do(ctx, "SELECT", 0)
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	fill(sc, 0, 2000)
	fill(sc, 3, 10)
	fill(tc, 0, 1998) // two expired on the way: within 0.1%
	fill(tc, 3, 10)
	cfg := labConfig(source(src.Addr(), "pw"), target(tgt.Addr(), "pw"))
	res := runCheck(t, "verify.data", envFor(cfg, nil))
	wantResult(t, res, true, "target holds 2008 keys, source 2010")
	if e := evidence(t, res, "db0 keys"); e.Want != ">= 1998 (source - 0.10%)" {
		t.Fatalf("want text %q", e.Want)
	}

	// After an RDB move the target is held to the snapshot: keys the
	// source got later are a warning, not a failure.
	fill(sc, 0, 2100)
	moved := runbook.Facts{runbook.ParitySnapshotDB(0): "2000", runbook.ParitySnapshotDB(3): "10"}
	res = runCheck(t, "verify.data", envFor(cfg, moved))
	wantResult(t, res, true, "target holds 2008 keys, source 2110")
	if e := evidence(t, res, "db0 keys"); e.Want != ">= 1998 (snapshot - 0.10%)" {
		t.Fatalf("want text %q", e.Want)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "the source got 100 keys after the snapshot") {
		t.Fatalf("warnings %q", res.Warnings)
	}

	fill(sc, 5, 3)
	res = runCheck(t, "verify.data", envFor(cfg, nil))
	wantResult(t, res, false, "db5 keys: target 0, source 3 (want >= 3 (source - 0.10%))")
}

func TestDualWrite(t *testing.T) {
	t.Parallel()
	src, tgt := redisPW(t, "pw"), redisPW(t, "pw")
	sc, tc := Client(source(src.Addr(), "pw"), "t"), Client(target(tgt.Addr(), "pw"), "t")
	defer sc.Close()
	defer tc.Close()
	ctx := context.Background()
	for i := range 100 {
		sc.Set(ctx, fmt.Sprint(i), "v", 0)
		if i < 50 {
			tc.Set(ctx, fmt.Sprint(i), "v", 0)
		}
	}
	cfg := labConfig(source(src.Addr(), "pw"), target(tgt.Addr(), "pw"))
	cfg.PollInterval.Duration = 100 * time.Millisecond
	ex := Checks()["migrate.dualwrite"]
	res, err := ex.Verify(ctx, envFor(cfg, nil))
	if err != nil {
		t.Fatal(err)
	}
	wantResult(t, res, false, "convergence: 50.0% (target 50 keys, source 100) (want >= 99.0%)")

	// Run waits, reporting the gauge, until the target catches up.
	go func() {
		time.Sleep(300 * time.Millisecond)
		for i := 50; i < 100; i++ {
			tc.Set(ctx, fmt.Sprint(i), "v", 0)
		}
	}()
	var last runbook.Progress
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err = ex.Run(rctx, envFor(cfg, nil), func(p runbook.Progress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	wantResult(t, res, true, "reached 99% of the source's keys")
	if last.Done != 100 || last.Total != 100 || last.Unit != "keys" {
		t.Fatalf("last progress %+v", last)
	}

	// Canceled while it waits: an error, and the last gauge as evidence.
	tc.FlushAll(ctx)
	cctx, ccancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer ccancel()
	res, err = ex.Run(cctx, envFor(cfg, nil), nil)
	if err == nil || res.OK {
		t.Fatalf("canceled run: %v %+v", err, res)
	}
}
