// Package runbook holds the migration runbook as data, the state machine
// that drives it, the journal that remembers it, and the config it runs
// against. It does no network I/O: probes and steps do that.
package runbook

import (
	"context"
	"fmt"
	"time"
)

// Kind says how a step is carried out.
type Kind string

const (
	Check    Kind = "check"    // read-only, re-runnable
	Action   Kind = "action"   // changes something: plan, confirm, run, verify
	Decision Kind = "decision" // the operator picks an option and gives a reason
	Manual   Kind = "manual"   // done outside; ticked with a note
)

// Gate says what an operator must do before an action runs.
type Gate string

const (
	NoGate    Gate = "none"
	Confirm   Gate = "confirm"    // type the named resource
	TwoPerson Gate = "two-person" // type the resource, and a second operator confirms
)

// Option is one choice of a decision step, or one value of a run option.
type Option struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// RunOption is a knob an action takes when it is run (for example the
// failover drill's mode). The first choice is the default.
type RunOption struct {
	Name    string   `json:"name"`
	Title   string   `json:"title"`
	Choices []Option `json:"choices"`
	// When limits the knob to migrations where a decision chose one of
	// its choices (only Decision and Choices are read).
	When When `json:"-"`
}

// When limits a step to the migrations it applies to. A zero When always
// applies. Every set field must hold.
type When struct {
	Decision    StepID   // applies when this decision chose one of Choices
	Choices     []string //
	SourceKinds []string // applies to these source kinds only
	TargetKinds []string // applies to these target kinds only
	Fact        Fact     // applies when this recorded fact equals FactValue
	FactValue   string
}

// Step is one line of the runbook.
type Step struct {
	ID       StepID
	Title    string
	Phase    string
	Kind     Kind
	Gate     Gate
	Needs    []StepID // must be done, skipped or not applicable first
	AfterRun []StepID // must have been started at least once (rollback after the swap)
	// Wait keeps a step from being done until a time after another step
	// finished (decommission: 7 days after the swap).
	Wait    *Wait
	When    When
	About   string   // what it proves or does, one paragraph
	Options []Option // decision steps
	// Suggest proposes a decision's option from the facts recorded so far
	// (what inventory.discover found); "" when it has nothing to go on.
	Suggest func(facts Facts) (option, why string)
	RunOpts []RunOption // action knobs
	Exec    Executor    // nil for decisions and manual steps
}

// GateOf is the step's gate, NoGate when it has none.
func (s *Step) GateOf() Gate {
	if s.Gate == "" {
		return NoGate
	}
	return s.Gate
}

// Wait is a hold on a step: it may be done only Hold after Step is done.
type Wait struct {
	Step StepID
	Hold time.Duration
}

// String reads "7 days after cutover.cname".
func (w Wait) String() string {
	if w.Hold%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days after %s", w.Hold/(24*time.Hour), w.Step)
	}
	return fmt.Sprintf("%s after %s", w.Hold, w.Step)
}

// Phase groups steps.
type Phase struct {
	ID    string
	Title string
}

// Executor is the code behind a check or an action. It lives in probes/ or
// steps/ and is attached with Runbook.Attach.
type Executor interface {
	// Plan says exactly what Run will do: the calls and commands, and the
	// resource the operator must type to confirm.
	Plan(ctx context.Context, env *Env) (Plan, error)
	Run(ctx context.Context, env *Env, report func(Progress)) (Result, error)
	// Verify re-checks the outcome without changing anything, for a step
	// that was interrupted.
	Verify(ctx context.Context, env *Env) (Result, error)
}

// Env is what an executor gets: the config, the state so far, who is
// running it and the options chosen.
type Env struct {
	Config   *Config
	State    *State
	Operator string
	Options  map[string]string
	// Log appends a line to the operator's timeline (it is redacted).
	Log func(format string, args ...any)
}

// Opt returns a run option's value, or def when unset.
func (e *Env) Opt(name, def string) string {
	if v, ok := e.Options[name]; ok && v != "" {
		return v
	}
	return def
}

// Logf logs when a logger is attached.
func (e *Env) Logf(format string, args ...any) {
	if e.Log != nil {
		e.Log(format, args...)
	}
}

// Plan is what an action will do, shown in the confirm dialog and recorded
// in the journal.
type Plan struct {
	Summary  string   `json:"summary"`
	Resource string   `json:"resource,omitempty"` // the name the operator types to confirm
	Calls    []string `json:"calls,omitempty"`    // the exact API calls and commands, in order
	Warnings []string `json:"warnings,omitempty"`
}

// Evidence is one observed fact behind a result, with its pass condition.
type Evidence struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Want  string `json:"want,omitempty"`
	OK    bool   `json:"ok"`
}

// Result is the outcome of a run or a verify.
type Result struct {
	OK       bool              `json:"ok"`
	Summary  string            `json:"summary"`
	Evidence []Evidence        `json:"evidence,omitempty"`
	Outputs  map[string]string `json:"outputs,omitempty"` // facts for later steps, e.g. the old CNAME value
	Warnings []string          `json:"warnings,omitempty"`
}

// Progress is reported by long work.
type Progress struct {
	Done    int64  `json:"done"`
	Total   int64  `json:"total,omitempty"` // 0 when unknown
	Unit    string `json:"unit,omitempty"`  // "bytes", "keys", ...
	Message string `json:"message,omitempty"`
}
