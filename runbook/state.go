package runbook

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Status is where a step stands.
type Status string

const (
	Pending     Status = "pending"
	Ready       Status = "ready" // derived: pending with its needs met
	Running     Status = "running"
	Done        Status = "done"
	Failed      Status = "failed"
	Skipped     Status = "skipped"
	Interrupted Status = "interrupted" // was running when the process died
	NotApplied  Status = "n/a"         // derived: does not apply to this migration
)

// StepState is the recorded state of one step.
type StepState struct {
	Status   Status    `json:"status"`
	By       string    `json:"by,omitempty"`
	Second   string    `json:"second,omitempty"`
	At       time.Time `json:"at"`
	Started  time.Time `json:"started,omitzero"` // the last start, while running and after
	Runs     int       `json:"runs,omitempty"`   // how many times it was started
	Reason   string    `json:"reason,omitempty"`
	Choice   string    `json:"choice,omitempty"`
	Note     string    `json:"note,omitempty"`
	Plan     *Plan     `json:"plan,omitempty"`
	Result   *Result   `json:"result,omitempty"`
	Error    string    `json:"error,omitempty"`
	Progress *Progress `json:"progress,omitempty"`
}

// State is the whole runbook's state: a fold of the journal's events.
type State struct {
	rb         *Runbook
	sourceKind string
	targetKind string
	Steps      map[StepID]StepState
	Facts      Facts // outputs of the succeeded results
	Seq        int   // last event applied
}

// NewState is the state before any event, for a source and target kind.
func NewState(rb *Runbook, sourceKind, targetKind string) State {
	return State{rb: rb, sourceKind: sourceKind, targetKind: targetKind,
		Steps: map[StepID]StepState{}, Facts: Facts{}}
}

// Runbook returns the runbook this state is of.
func (s State) Runbook() *Runbook { return s.rb }

func (s State) clone() State {
	c := s
	c.Steps = make(map[StepID]StepState, len(s.Steps))
	for k, v := range s.Steps {
		c.Steps[k] = v
	}
	c.Facts = make(Facts, len(s.Facts))
	for k, v := range s.Facts {
		c.Facts[k] = v
	}
	return c
}

// Get returns a step's recorded state (pending when nothing happened yet).
func (s State) Get(id StepID) StepState {
	if st, ok := s.Steps[id]; ok {
		return st
	}
	return StepState{Status: Pending}
}

// Applies tells whether a step applies to this migration; when it does
// not, or cannot be known yet, why says so. known is false while a
// decision or fact it depends on is still open.
func (s State) Applies(id StepID) (applies, known bool, why string) {
	st := s.rb.Step(id)
	if st == nil {
		return false, true, "no such step"
	}
	w := st.When
	if len(w.SourceKinds) > 0 && !slices.Contains(w.SourceKinds, s.sourceKind) {
		return false, true, fmt.Sprintf("only for source kind %s; this one is %s", strings.Join(w.SourceKinds, "/"), s.sourceKind)
	}
	if len(w.TargetKinds) > 0 && !slices.Contains(w.TargetKinds, s.targetKind) {
		return false, true, fmt.Sprintf("only for target kind %s; this one is %s", strings.Join(w.TargetKinds, "/"), s.targetKind)
	}
	if w.Decision != "" {
		d := s.Get(w.Decision)
		if d.Status == Skipped {
			return false, true, fmt.Sprintf("%s was skipped", w.Decision)
		}
		if d.Status != Done {
			return false, false, fmt.Sprintf("waits for the decision %s", w.Decision)
		}
		if !slices.Contains(w.Choices, d.Choice) {
			return false, true, fmt.Sprintf("%s chose %s", w.Decision, d.Choice)
		}
	}
	if w.Fact != (Fact{}) {
		v, ok := s.Facts[w.Fact]
		if !ok {
			return false, false, fmt.Sprintf("waits for %s", w.Fact)
		}
		if v != w.FactValue {
			return false, true, fmt.Sprintf("%s is %s", w.Fact, v)
		}
	}
	return true, true, ""
}

// RunOpts are the run options of a step that apply to this migration.
func (s State) RunOpts(id StepID) []RunOption {
	st := s.rb.Step(id)
	if st == nil {
		return nil
	}
	var out []RunOption
	for _, o := range st.RunOpts {
		if o.When.Decision == "" || slices.Contains(o.When.Choices, s.Get(o.When.Decision).Choice) {
			out = append(out, o)
		}
	}
	return out
}

// Effective is the status shown to the operator: the recorded status,
// with ready and n/a derived.
func (s State) Effective(id StepID) Status {
	st := s.Get(id)
	applies, known, _ := s.Applies(id)
	if !applies && known && st.Status != Running {
		return NotApplied
	}
	if st.Status == Pending && applies && s.blocker(id) == "" {
		return Ready
	}
	return st.Status
}

// PhaseProgress counts a phase's steps that apply: done (or skipped),
// all of them, and failed (or interrupted).
func (s State) PhaseProgress(phase string) (done, total, failed int) {
	for _, step := range s.Runbook().Steps {
		if step.Phase != phase {
			continue
		}
		switch s.Effective(step.ID) {
		case NotApplied:
			continue
		case Done, Skipped:
			done++
		case Failed, Interrupted:
			failed++
		}
		total++
	}
	return done, total, failed
}

func settled(st Status) bool { return st == Done || st == Skipped || st == NotApplied }

// blocker names the first unmet prerequisite, or "".
func (s State) blocker(id StepID) string {
	step := s.rb.Step(id)
	for _, n := range step.Needs {
		if eff := s.Effective(n); !settled(eff) {
			what := string(eff)
			if eff == Ready {
				what = "ready but not run yet"
			}
			return fmt.Sprintf("%s needs %s, which is %s", id, n, what)
		}
	}
	for _, n := range step.AfterRun {
		if s.Get(n).Runs == 0 {
			return fmt.Sprintf("%s is available once %s has run", id, n)
		}
	}
	return ""
}

// Blocker explains why a step cannot start now, or returns "".
func (s State) Blocker(id StepID) string {
	if applies, _, why := s.Applies(id); !applies {
		return fmt.Sprintf("%s does not apply: %s", id, why)
	}
	return s.blocker(id)
}

// Glyph is a status's symbol, so colour is never the only signal.
func Glyph(s Status) string {
	switch s {
	case Ready:
		return "○"
	case Running:
		return "◐"
	case Done:
		return "✓"
	case Failed:
		return "✗"
	case Skipped:
		return "↷"
	case Interrupted:
		return "!"
	case NotApplied:
		return "–"
	}
	return "·"
}

// WaitUntil is when a step with a Wait may be done; ok is false while the
// step it waits for is not done (or when it has no Wait).
func (s State) WaitUntil(id StepID) (at time.Time, ok bool) {
	st := s.rb.Step(id)
	if st == nil || st.Wait == nil {
		return time.Time{}, false
	}
	after := s.Get(st.Wait.Step)
	if after.Status != Done {
		return time.Time{}, false
	}
	return after.At.Add(st.Wait.Hold), true
}
