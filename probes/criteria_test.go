package probes

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

// swapped is a state where cutover.cname ran, with the given facts.
func swapped(t *testing.T, facts runbook.Facts) runbook.State {
	t.Helper()
	s := runbook.NewState(runbook.New(), "redis", "standalone")
	plan := &runbook.Plan{Summary: "swap", Resource: "cache"}
	var evs []runbook.Event
	for _, id := range []runbook.StepID{runbook.BuildDNS, runbook.MigrateParity, runbook.MigrateDualwrite, runbook.MigrateLive, runbook.CutoverGonogo} {
		evs = append(evs, runbook.Event{Type: runbook.EvSkip, Step: id, Reason: "test"})
	}
	evs = append(evs, runbook.Event{Type: runbook.EvStart, Step: runbook.CutoverCname, Second: "bob", Plan: plan, Confirmed: "cache"},
		runbook.Event{Type: runbook.EvSucceed, Step: runbook.CutoverCname, Result: &runbook.Result{OK: true}})
	for i, e := range evs {
		e.Seq, e.Time, e.Operator = i+1, time.Now(), "alice"
		var err error
		if s, err = runbook.Apply(s, e); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range facts {
		s.Facts[k] = v
	}
	return s
}

func TestAbortCriteriaOnRealServers(t *testing.T) {
	src, dst := redisPW(t, "s"), redisPW(t, "d")
	cfg := labConfig(source(src.Addr(), "s"), target(dst.Addr(), "d"))
	for _, text := range []string{
		"target.errorstat_NOSCRIPT > 0",
		"target.hit_rate < baseline - 0.10",
		"source.keys >= 0 for 1h",
		"parity.missing_fraction > 0.001",
		"target.connected_clients > 1000 after cutover.cname + 1h",
	} {
		p, err := runbook.ParsePredicate(text, runbook.New())
		if err != nil {
			t.Fatal(err)
		}
		cfg.Window.Criteria = append(cfg.Window.Criteria, p)
	}
	ctx := context.Background()

	before := runbook.NewState(runbook.New(), "redis", "standalone")
	for _, r := range ReadCriteria(ctx, cfg, before) {
		if r.Armed || r.Met {
			t.Fatalf("armed before the swap: %s", r)
		}
	}
	st := swapped(t, runbook.Facts{runbook.ParitySampled: "1000", runbook.ParityDifferences: "2"})
	read := func() map[string]Reading {
		m := map[string]Reading{}
		for _, r := range ReadCriteria(ctx, cfg, st) {
			m[r.Criterion.Text] = r
		}
		return m
	}
	got := read()
	if r := got["target.errorstat_NOSCRIPT > 0"]; !r.Known || r.True || !r.Armed {
		t.Fatalf("before any NOSCRIPT: %s", r)
	}
	if r := got["target.hit_rate < baseline - 0.10"]; r.Known && r.Why == "" {
		t.Fatalf("a baseline criterion without a baseline: %s", r)
	}
	if r := got["source.keys >= 0 for 1h"]; !r.True || r.Met || !strings.Contains(r.String(), "not yet for 1h0m0s") {
		t.Fatalf("a for clause: %s", r)
	}
	if r := got["parity.missing_fraction > 0.001"]; !r.Met || r.Value != 0.002 {
		t.Fatalf("parity: %s", r)
	}
	if r := got["target.connected_clients > 1000 after cutover.cname + 1h"]; r.Armed {
		t.Fatalf("armed before its delay: %s", r)
	}

	// The application calls a script the target never loaded.
	c := redis.NewClient(&redis.Options{Addr: dst.Addr(), Password: "d"})
	defer c.Close()
	if err := c.EvalSha(ctx, strings.Repeat("ab", 20), nil).Err(); err == nil || !strings.Contains(err.Error(), "NOSCRIPT") {
		t.Fatalf("EVALSHA: %v", err)
	}
	if r := read()["target.errorstat_NOSCRIPT > 0"]; !r.Met || r.Value != 1 || !strings.Contains(r.String(), "MET, abort") {
		t.Fatalf("after a NOSCRIPT: %s", r)
	}

	// The go/no-go shows every criterion with its value now.
	env := &runbook.Env{Config: cfg, State: &st, Operator: "alice"}
	plan, err := gonogo{}.Plan(ctx, env)
	if err != nil || plan.Resource != "go" || len(plan.Calls) != 5 || len(plan.Warnings) == 0 {
		t.Fatalf("go/no-go plan %+v %v", plan, err)
	}
	res, err := gonogo{}.Run(ctx, env, nil)
	if err != nil || !res.OK || res.Outputs["criteria"] != "5" || res.Outputs["true_now"] != "3" {
		t.Fatalf("go/no-go result %+v %v", res, err)
	}
}
