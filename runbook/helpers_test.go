package runbook

import (
	"testing"
	"time"
)

// Test helpers: events as an operator would send them, and states built
// by folding them through Apply.

const op = "alice"

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func start(step StepID) Event { return Event{Type: EvStart, Step: step, Operator: op} }

// startGated starts an action through its gate with a plan naming resource.
func startGated(step StepID, resource, confirmed, second string) Event {
	e := start(step)
	e.Plan = &Plan{Summary: "do " + string(step), Resource: resource}
	e.Confirmed, e.Second = confirmed, second
	return e
}

func succeed(step StepID, outputs map[string]string) Event {
	return Event{Type: EvSucceed, Step: step, Operator: op, Result: &Result{OK: true, Summary: string(step) + " passed", Outputs: outputs}}
}

func fail(step StepID, msg string) Event {
	return Event{Type: EvFail, Step: step, Operator: op, Error: msg, Result: &Result{Summary: msg}}
}

func decide(step StepID, choice, reason string) Event {
	return Event{Type: EvDecide, Step: step, Operator: op, Choice: choice, Reason: reason}
}

func tick(step StepID, note string) Event {
	return Event{Type: EvTick, Step: step, Operator: op, Note: note}
}

func skip(step StepID, reason string) Event {
	return Event{Type: EvSkip, Step: step, Operator: op, Reason: reason}
}

func rerun(step StepID, reason string) Event {
	return Event{Type: EvRerun, Step: step, Operator: op, Reason: reason}
}

func interrupt(step StepID) Event { return Event{Type: EvInterrupted, Step: step, Operator: op} }

func progress(step StepID, done, total int64) Event {
	return Event{Type: EvProgress, Step: step, Operator: op, Progress: &Progress{Done: done, Total: total, Unit: "bytes"}}
}

// ran is a check that ran and passed.
func ran(step StepID) []Event { return []Event{start(step), succeed(step, nil)} }

// ranGated is a gated action that ran and passed.
func ranGated(step StepID, second string) []Event {
	return []Event{startGated(step, "res-"+string(step), "res-"+string(step), second), succeed(step, nil)}
}

func join(parts ...[]Event) []Event {
	var all []Event
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// fold applies events to a fresh state, numbering and timing them as the
// journal would, and fails the test on the first refused event.
func fold(t *testing.T, sourceKind, targetKind string, events []Event) State {
	t.Helper()
	s := NewState(New(), sourceKind, targetKind)
	for i, e := range events {
		e.Seq, e.Time = i+1, t0.Add(time.Duration(i)*time.Second)
		next, err := Apply(s, e)
		if err != nil {
			t.Fatalf("setup event %d (%s %s) refused: %v", i+1, e.Type, e.Step, err)
		}
		s = next
	}
	return s
}

// Common situations.
var (
	discovered = ran("inventory.discover")
	reachable  = ran("build.reachable")
	dnsDone    = ranGated("build.dns", "")
	// cnameReady has everything cutover.cname needs on the dual-write path.
	cnameReady = join(dnsDone, []Event{decide("migrate.strategy", "dualwrite", "zero downtime")}, ran("migrate.dualwrite"), ranGated("cutover.gonogo", "bob"))
)
