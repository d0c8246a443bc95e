package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// inWindow books a window around the fixture's clock with an abort
// criterion the captured target INFO meets, and records the swap.
func inWindow(t *testing.T, f *fixture, budgets runbook.Budgets) {
	t.Helper()
	p, err := runbook.ParsePredicate("target.connected_clients > 0", runbook.New())
	if err != nil {
		t.Fatal(err)
	}
	f.eng.Config.Window = runbook.Window{Start: runbook.Time{Time: clock.Add(-30 * time.Minute)}, End: runbook.Time{Time: clock.Add(90 * time.Minute)},
		Margin: 0.25, Criteria: []runbook.Predicate{p}, Abort: []string{p.Text}}
	plan := &runbook.Plan{Summary: "swap", Resource: "cache.lab.internal"}
	var evs []runbook.Event
	for _, id := range []runbook.StepID{runbook.BuildDNS, runbook.MigrateParity, runbook.MigrateDualwrite, runbook.MigrateLive, runbook.CutoverGonogo} {
		evs = append(evs, runbook.Event{Type: runbook.EvSkip, Step: id, Reason: "test"})
	}
	evs = append(evs, runbook.Event{Type: runbook.EvStart, Step: runbook.CutoverCname, Second: "bob", Plan: plan, Confirmed: plan.Resource},
		runbook.Event{Type: runbook.EvSucceed, Step: runbook.CutoverCname, Result: &runbook.Result{OK: true, Summary: "swapped"}})
	for _, ev := range evs {
		ev.Operator, ev.Time = "alice", clock.Add(-time.Minute)
		if _, err := f.eng.Record(ev); err != nil {
			t.Fatal(err)
		}
	}
	f.m.state = f.eng.State()
	f.m.budgets = budgets
	f.m.criteria = probes.Criteria{List: f.eng.Config.Window.Criteria}
	for _, p := range []*Pane{f.m.src, f.m.tgt} {
		f.m.Update(p.poll(f.m.work)())
	}
}

func TestAbortBannerOffersTheRollback(t *testing.T) {
	f := newFixture(t, 120, 40)
	var told []string
	f.m.onAbort = func(r string) { told = append(told, r) }
	inWindow(t, f, runbook.Budgets{runbook.CutoverWatch: 10 * time.Minute})
	screen := f.screen()
	for _, want := range []string{"ABORT: target.connected_clients > 0: now", "press b to roll back now", "window ends 03:44", "rollback by 03:29"} {
		if !strings.Contains(screen, want) {
			t.Fatalf("the screen lacks %q:\n%s", want, screen)
		}
	}
	if strings.Contains(screen, "LATE") {
		t.Fatalf("late within the deadline:\n%s", screen)
	}
	// Another poll: the criterion is still met, but announced only once.
	f.m.Update(f.m.tgt.poll(f.m.work)())
	if len(told) != 1 {
		t.Fatalf("the notifier was told %d times: %v", len(told), told)
	}
	f.press(t, "b")
	if f.m.dialog == nil || !strings.Contains(f.screen(), "Run rollback.cname") {
		t.Fatalf("b did not open the rollback:\n%s", f.screen())
	}
}

func TestOverrunAndLateWindow(t *testing.T) {
	f := newFixture(t, 120, 40)
	inWindow(t, f, runbook.Budgets{runbook.CutoverWatch: 2 * time.Hour, runbook.BuildReachable: time.Second})
	if !strings.Contains(f.screen(), "LATE: projected end") {
		t.Fatalf("no late banner:\n%s", f.screen())
	}
	if text, over := f.m.budgetText(runbook.CutoverWatch); text != "" || over {
		t.Fatalf("a step that is not running has a budget line %q", text)
	}
}
