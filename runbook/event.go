package runbook

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// EventType names a transition.
type EventType string

const (
	EvStart       EventType = "start"
	EvProgress    EventType = "progress"
	EvSucceed     EventType = "succeed"
	EvFail        EventType = "fail"
	EvSkip        EventType = "skip"
	EvDecide      EventType = "decide"
	EvTick        EventType = "tick"
	EvRerun       EventType = "rerun"
	EvInterrupted EventType = "interrupted"
)

// Event is one line of the journal.
type Event struct {
	Seq       int               `json:"seq"`
	Time      time.Time         `json:"time"`
	Type      EventType         `json:"type"`
	Step      StepID            `json:"step"`
	Operator  string            `json:"operator"`
	Second    string            `json:"second,omitempty"`    // second operator of a two-person gate
	Confirmed string            `json:"confirmed,omitempty"` // what the operator typed at the gate
	Reason    string            `json:"reason,omitempty"`
	Choice    string            `json:"choice,omitempty"`
	Note      string            `json:"note,omitempty"`
	Options   map[string]string `json:"options,omitempty"`
	Plan      *Plan             `json:"plan,omitempty"`
	Progress  *Progress         `json:"progress,omitempty"`
	Result    *Result           `json:"result,omitempty"`
	Error     string            `json:"error,omitempty"`
}

// Apply is the state machine: the state after e, or an error a person
// understands when e is not allowed now. It never changes s.
func Apply(s State, e Event) (State, error) {
	step := s.rb.Step(e.Step)
	if step == nil {
		return s, fmt.Errorf("no step %q in the runbook", e.Step)
	}
	if e.Operator == "" {
		return s, fmt.Errorf("%s: the event names no operator", e.Step)
	}
	cur := s.Get(e.Step)
	next := cur
	next.At = e.Time
	switch e.Type {
	case EvStart:
		if err := s.canStart(step, cur, e); err != nil {
			return s, err
		}
		next = StepState{Status: Running, By: e.Operator, Second: e.Second, At: e.Time, Started: e.Time,
			Runs: cur.Runs + 1, Plan: e.Plan, Result: cur.Result}
	case EvProgress:
		if cur.Status != Running {
			return s, fmt.Errorf("%s is %s, not running: no progress to report", e.Step, cur.Status)
		}
		next.Progress = e.Progress
	case EvSucceed, EvFail:
		if cur.Status != Running {
			return s, fmt.Errorf("%s is %s, not running: it cannot %s", e.Step, cur.Status, e.Type)
		}
		next.Status, next.Result, next.Error, next.Progress = Done, e.Result, "", nil
		if e.Type == EvFail {
			next.Status, next.Error = Failed, e.Error
		}
	case EvInterrupted:
		if cur.Status != Running {
			return s, fmt.Errorf("%s is %s, not running: it cannot be interrupted", e.Step, cur.Status)
		}
		next.Status, next.Progress = Interrupted, nil
	case EvSkip:
		if e.Reason == "" {
			return s, fmt.Errorf("skipping %s needs a reason", e.Step)
		}
		if cur.Status == Running || cur.Status == Done {
			return s, fmt.Errorf("%s is %s: it cannot be skipped", e.Step, cur.Status)
		}
		next.Status, next.By, next.Reason = Skipped, e.Operator, e.Reason
	case EvDecide:
		if step.Kind != Decision {
			return s, fmt.Errorf("%s is a %s step, not a decision", e.Step, step.Kind)
		}
		if err := s.ready(step); err != nil {
			return s, err
		}
		if !slices.ContainsFunc(step.Options, func(o Option) bool { return o.ID == e.Choice }) {
			return s, fmt.Errorf("%s has no option %q; choose one of %s", e.Step, e.Choice, optionIDs(step.Options))
		}
		if e.Reason == "" {
			return s, fmt.Errorf("deciding %s needs a reason", e.Step)
		}
		next = StepState{Status: Done, By: e.Operator, At: e.Time, Choice: e.Choice, Reason: e.Reason}
	case EvTick:
		if step.Kind != Manual {
			return s, fmt.Errorf("%s is a %s step, not a manual one", e.Step, step.Kind)
		}
		if cur.Status == Done {
			return s, fmt.Errorf("%s is already done", e.Step)
		}
		if err := s.ready(step); err != nil {
			return s, err
		}
		if e.Note == "" {
			return s, fmt.Errorf("ticking %s needs a note saying what was done", e.Step)
		}
		if step.Wait != nil {
			until, ok := s.WaitUntil(e.Step)
			if !ok {
				return s, fmt.Errorf("%s waits for %s, which is not done", e.Step, step.Wait.Step)
			}
			if e.Time.Before(until) {
				return s, fmt.Errorf("%s must wait until %s (%s)", e.Step, until.UTC().Format("2006-01-02 15:04 MST"), step.Wait)
			}
		}
		next = StepState{Status: Done, By: e.Operator, At: e.Time, Note: e.Note}
	case EvRerun:
		if step.Kind != Action {
			return s, fmt.Errorf("%s is a %s step: it needs no re-run event", e.Step, step.Kind)
		}
		if e.Reason == "" {
			return s, fmt.Errorf("re-running %s needs a reason", e.Step)
		}
		if cur.Status == Pending || cur.Status == Running {
			return s, fmt.Errorf("%s is %s: there is nothing to re-run", e.Step, cur.Status)
		}
		next.Status, next.Reason = Pending, e.Reason
	default:
		return s, fmt.Errorf("%s: unknown event type %q", e.Step, e.Type)
	}
	out := s.clone()
	out.Steps[e.Step] = next
	if e.Seq > out.Seq {
		out.Seq = e.Seq
	}
	if e.Type == EvSucceed && e.Result != nil {
		out.Facts.Record(e.Step, e.Result.Outputs)
	}
	return out, nil
}

func (s State) ready(step *Step) error {
	if b := s.Blocker(step.ID); b != "" {
		return errors.New(b)
	}
	return nil
}

func (s State) canStart(step *Step, cur StepState, e Event) error {
	switch step.Kind {
	case Decision, Manual:
		return fmt.Errorf("%s is a %s step: it is not run", step.ID, step.Kind)
	case Check:
		if cur.Status == Running {
			return fmt.Errorf("%s is already running", step.ID)
		}
	case Action:
		switch cur.Status {
		case Running:
			return fmt.Errorf("%s is already running", step.ID)
		case Done, Failed, Interrupted, Skipped:
			return fmt.Errorf("%s is %s; it changes things, so re-running it takes an explicit re-run with a reason", step.ID, cur.Status)
		}
	}
	if err := s.ready(step); err != nil {
		return err
	}
	// A zero Gate is no gate: most actions in the definition leave it out.
	if step.Kind != Action || step.Gate == NoGate || step.Gate == "" {
		return nil
	}
	if e.Plan == nil {
		return fmt.Errorf("%s is gated: it starts only with the plan the operator confirmed", step.ID)
	}
	if e.Plan.Resource == "" {
		// Typing "" to confirm would make the gate a formality.
		return fmt.Errorf("%s is gated but its plan names no resource to confirm; the step's executor must set Plan.Resource", step.ID)
	}
	if e.Confirmed != e.Plan.Resource {
		return fmt.Errorf("%s: confirmation %q does not match %q", step.ID, e.Confirmed, e.Plan.Resource)
	}
	if step.Gate == TwoPerson {
		if e.Second == "" {
			return fmt.Errorf("%s needs a second operator to confirm", step.ID)
		}
		if strings.EqualFold(strings.TrimSpace(e.Second), strings.TrimSpace(e.Operator)) {
			return fmt.Errorf("%s: the second operator must be someone other than %s", step.ID, e.Operator)
		}
	}
	return nil
}

func optionIDs(o []Option) string {
	ids := make([]string, len(o))
	for i, x := range o {
		ids[i] = x.ID
	}
	return fmt.Sprint(ids)
}

// Line is the event as one log line, as the log file and the chat show it.
func (ev Event) Line() string {
	who := ev.Operator
	if ev.Second != "" {
		who += " with " + ev.Second
	}
	switch ev.Type {
	case EvStart:
		return fmt.Sprintf("%s started by %s", ev.Step, who)
	case EvSucceed:
		if ev.Result == nil {
			return string(ev.Step) + " done"
		}
		return fmt.Sprintf("%s done: %s", ev.Step, ev.Result.Summary)
	case EvFail:
		return fmt.Sprintf("%s failed: %s", ev.Step, ev.Error)
	case EvDecide:
		return fmt.Sprintf("%s: %s chose %s: %s", ev.Step, who, ev.Choice, ev.Reason)
	case EvTick:
		return fmt.Sprintf("%s ticked by %s: %s", ev.Step, who, ev.Note)
	case EvSkip, EvRerun:
		return fmt.Sprintf("%s %s by %s: %s", ev.Step, ev.Type, who, ev.Reason)
	}
	return fmt.Sprintf("%s %s by %s", ev.Step, ev.Type, who)
}
