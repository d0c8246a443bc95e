package probes

import (
	"errors"
	"math"
	"testing"
	"time"
)

func sampleAt(sec int, in Info) Sample {
	if in.RunID == "" {
		in.RunID = "r1"
	}
	return Sample{Time: time.Unix(1000, 0).Add(time.Duration(sec) * time.Second), Addr: "a:1", Info: in}
}

func TestDerive(t *testing.T) {
	t.Parallel()
	p := sampleAt(0, Info{Uptime: 10, TotalCommandsProcessed: 100, KeyspaceHits: 50, KeyspaceMisses: 50,
		UsedCPUSys: 1, UsedCPUUser: 1, EvictedKeys: 5, ExpiredKeys: 1, TotalNetInputBytes: 1000,
		TotalNetOutputBytes: 2000, TotalConnectionsReceived: 3})
	c := sampleAt(2, Info{Uptime: 12, TotalCommandsProcessed: 300, KeyspaceHits: 140, KeyspaceMisses: 60,
		UsedCPUSys: 1.2, UsedCPUUser: 1.3, EvictedKeys: 9, ExpiredKeys: 7, TotalNetInputBytes: 3000,
		TotalNetOutputBytes: 6000, TotalConnectionsReceived: 7})
	r := Derive(p, c)
	if !r.Valid || r.Reset || r.Interval != 2*time.Second {
		t.Fatalf("%+v", r)
	}
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s: got %g, want %g", what, got, want)
		}
	}
	near("ops", r.OpsPerSec, 100)
	near("hit rate", r.HitRate, 0.9)
	near("hit rate total", r.HitRateTotal, 0.7)
	near("cpu", r.CPUPercent, 25)
	near("evictions", r.EvictionsPerSec, 2)
	near("expired", r.ExpiredPerSec, 3)
	near("net in", r.NetInPerSec, 1000)
	near("net out", r.NetOutPerSec, 2000)
	near("conns", r.NewConnsPerSec, 2)

	if r := Derive(Sample{}, c); r.Valid || !r.HitRateTotalOK {
		t.Fatalf("first sample: %+v", r)
	}
	restarted := c
	restarted.Info.RunID = "r2"
	if r := Derive(p, restarted); r.Valid || !r.Reset {
		t.Fatalf("restart: %+v", r)
	}
	reset := c
	reset.Info.KeyspaceHits = 0
	if r := Derive(p, reset); r.Valid || !r.Reset {
		t.Fatalf("resetstat: %+v", r)
	}
	idle := sampleAt(4, c.Info)
	if r := Derive(c, idle); !r.Valid || r.HitRateOK || r.OpsPerSec != 0 {
		t.Fatalf("idle: %+v", r)
	}
	if r := Derive(p, Sample{Time: c.Time, Err: errors.New("down")}); r.Valid || r.HitRateTotalOK {
		t.Fatalf("error: %+v", r)
	}
}

func TestHistoryRingAndSeries(t *testing.T) {
	t.Parallel()
	h := NewHistory(3)
	if _, ok := h.Last(); ok {
		t.Fatal("empty history has a last point")
	}
	for i := range 5 {
		h.Add(sampleAt(i, Info{Uptime: int64(i), TotalCommandsProcessed: int64(10 * i * i), UsedMemory: int64(i)}))
	}
	if h.Len() != 3 {
		t.Fatalf("len %d", h.Len())
	}
	eq(t, "memory", h.MemorySeries(), []float64{2, 3, 4})
	eq(t, "ops", h.OpsSeries(), []float64{30, 50, 70})
	last, _ := h.Last()
	eq(t, "last", last.Sample.Info.UsedMemory, int64(4))

	down := errors.New("connection refused")
	if r := h.Add(Sample{Time: time.Now(), Err: down}); r.Valid || h.Err() != down || h.Len() != 3 {
		t.Fatalf("error poll: %+v %v %d", r, h.Err(), h.Len())
	}
	// The answer after an error derives from the last answer.
	r := h.Add(sampleAt(6, Info{Uptime: 6, TotalCommandsProcessed: 200}))
	if !r.Valid || r.OpsPerSec != 20 || h.Err() != nil {
		t.Fatalf("after error: %+v %v", r, h.Err())
	}
	// A different server (the primary moved) starts over.
	moved := sampleAt(7, Info{Uptime: 7, TotalCommandsProcessed: 300})
	moved.Addr = "b:1"
	if r := h.Add(moved); r.Valid {
		t.Fatalf("moved primary: %+v", r)
	}
	hr := h.HitRateSeries()
	if len(hr) != 3 || !math.IsNaN(hr[2]) {
		t.Fatalf("hit rate series without lookups: %v", hr)
	}
}
