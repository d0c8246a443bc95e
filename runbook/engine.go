package runbook

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Engine drives one journal: it applies events through the state machine
// and appends the legal ones. It is safe for concurrent use (the console
// runs steps in goroutines).
type Engine struct {
	RB     *Runbook
	Config *Config
	Redact *Redactor

	mu      sync.Mutex
	state   State
	journal *Journal // nil when read-only
	lock    *Lock
	now     func() time.Time
	onEvent []func(Event)
}

// Notes are things replay found that the operator should be told.
type Notes []string

// Open replays the config's journal and takes its lock, so this process
// drives it. Steps that were running when the last process died are
// recorded as interrupted: nothing re-runs by itself.
func Open(cfg *Config, rb *Runbook, operator string) (*Engine, Notes, error) {
	lock, err := AcquireLock(cfg.Journal, operator)
	if err != nil {
		return nil, nil, err
	}
	e, notes, rep, err := load(cfg, rb)
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	j, err := OpenJournal(cfg.Journal, rep, e.Redact)
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	e.journal, e.lock = j, lock
	for _, ev := range e.interruptions(operator) {
		if _, err := e.Record(ev); err != nil {
			e.Close()
			return nil, nil, err
		}
		notes = append(notes, fmt.Sprintf("%s was running when the last process stopped: it is now interrupted; verify it or re-run it on purpose", ev.Step))
	}
	return e, notes, nil
}

// interruptions are the events that mark the steps still running in the
// replayed journal as interrupted: their process died with them.
func (e *Engine) interruptions(operator string) []Event {
	var evs []Event
	for _, s := range e.RB.Steps {
		if e.state.Get(s.ID).Status == Running {
			evs = append(evs, Event{Type: EvInterrupted, Step: s.ID, Operator: operator,
				Time: e.now().UTC(), Note: "was running when the previous cutover process stopped"})
		}
	}
	return evs
}

// Load replays the journal without taking the lock, for read-only
// commands (plan, status, report). Record fails on such an engine.
func Load(cfg *Config, rb *Runbook) (*Engine, Notes, error) {
	e, notes, _, err := load(cfg, rb)
	if err != nil || ReadHolder(cfg.Journal) != nil {
		return e, notes, err
	}
	// Nobody drives the journal: a step still running died with its
	// process. Show it as the next Open will record it, with the same
	// events, applied but not written.
	for _, ev := range e.interruptions("cutover") {
		s, err := Apply(e.state, ev)
		if err != nil {
			return nil, nil, err
		}
		e.state = s
	}
	return e, notes, nil
}

func load(cfg *Config, rb *Runbook) (*Engine, Notes, *Replay, error) {
	rep, err := ReadJournal(cfg.Journal)
	if err != nil {
		return nil, nil, nil, err
	}
	e := &Engine{RB: rb, Config: cfg, Redact: cfg.Redactor(), now: time.Now,
		state: NewState(rb, cfg.Source.Kind, cfg.Target.Kind)}
	var notes Notes
	if rep.Torn != "" {
		notes = append(notes, rep.Torn)
	}
	for i, ev := range rep.Events {
		s, err := Apply(e.state, ev)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("journal %s: event %d (line %d) does not replay: %v", cfg.Journal, ev.Seq, i+1, err)
		}
		e.state = s
	}
	return e, notes, rep, nil
}

// Close releases the journal and its lock.
func (e *Engine) Close() error {
	var err error
	if e.journal != nil {
		err = e.journal.Close()
	}
	return errors.Join(err, e.lock.Release())
}

// OnEvent adds a function called after each recorded event, after those
// added before it (the log file, the notifications).
func (e *Engine) OnEvent(f func(Event)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onEvent = append(e.onEvent, f)
}

// State returns a snapshot of the current state.
func (e *Engine) State() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state
}

// Record applies an event and appends it: an illegal event is refused
// and never written.
func (e *Engine) Record(ev Event) (Event, error) {
	e.mu.Lock()
	if e.journal == nil {
		e.mu.Unlock()
		return ev, errors.New("this journal is open read-only")
	}
	if ev.Time.IsZero() {
		ev.Time = e.now().UTC()
	}
	if _, err := Apply(e.state, ev); err != nil {
		e.mu.Unlock()
		return ev, err
	}
	written, err := e.journal.Append(ev)
	if err != nil {
		e.mu.Unlock()
		return ev, err
	}
	s, err := Apply(e.state, written)
	if err != nil {
		e.mu.Unlock()
		return ev, fmt.Errorf("journal: event changed by redaction no longer applies: %v", err)
	}
	e.state = s
	hooks := e.onEvent
	e.mu.Unlock()
	for _, hook := range hooks {
		hook(written)
	}
	return written, nil
}

// Env builds an executor's environment.
func (e *Engine) Env(operator string, options map[string]string, log func(string, ...any)) *Env {
	st := e.State()
	return &Env{Config: e.Config, State: &st, Operator: operator, Options: options, Log: log}
}

// Plan asks a step's executor for its plan, scrubbed of secrets: the
// confirm dialog shows it as it is.
func (e *Engine) Plan(ctx context.Context, id StepID, env *Env) (Plan, error) {
	s := e.RB.Step(id)
	if s == nil {
		return Plan{}, fmt.Errorf("no step %q in the runbook", id)
	}
	if s.Kind == Decision || s.Kind == Manual {
		return Plan{}, fmt.Errorf("%s is a %s step: it has no plan", id, s.Kind)
	}
	if s.Exec == nil {
		return Plan{}, fmt.Errorf("%s has no executor in this build", id)
	}
	p, err := s.Exec.Plan(ctx, env)
	return e.Redact.ScrubPlan(p), err
}

// Request is an operator's go-ahead for a run.
type Request struct {
	Operator  string
	Second    string
	Confirmed string
	Plan      *Plan
	Options   map[string]string
}

// ErrCheckFailed marks a run whose check or verification did not pass.
var ErrCheckFailed = errors.New("check failed")

// Run records the start, runs the executor, and records the outcome. The
// returned error wraps ErrCheckFailed when the step ran but did not pass.
func (e *Engine) Run(ctx context.Context, id StepID, req Request, log func(string, ...any), report func(Progress)) (Result, error) {
	s := e.RB.Step(id)
	if s == nil {
		return Result{}, fmt.Errorf("no step %q in the runbook", id)
	}
	if s.Exec == nil {
		return Result{}, fmt.Errorf("%s has no executor in this build", id)
	}
	env := e.Env(req.Operator, req.Options, log)
	if _, err := e.Record(Event{Type: EvStart, Step: id, Operator: req.Operator, Second: req.Second,
		Confirmed: req.Confirmed, Plan: req.Plan, Options: req.Options}); err != nil {
		return Result{}, err
	}
	res, err := e.runExec(ctx, s, env, report, req.Operator)
	ev := Event{Type: EvSucceed, Step: id, Operator: req.Operator, Result: &res}
	switch {
	case err != nil:
		ev.Type, ev.Error = EvFail, err.Error()
		if ctx.Err() != nil {
			ev.Error = "cancelled by the operator: " + err.Error()
		}
	case !res.OK:
		ev.Type, ev.Error = EvFail, res.Summary
		err = fmt.Errorf("%w: %s", ErrCheckFailed, res.Summary)
	}
	if _, rerr := e.Record(ev); rerr != nil {
		return res, errors.Join(err, rerr)
	}
	return res, err
}

// runExec runs the executor, turning a panic into a failure so the step is
// never left running by a bug.
func (e *Engine) runExec(ctx context.Context, s *Step, env *Env, report func(Progress), op string) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error in %s: %v", s.ID, r)
		}
	}()
	last := time.Time{}
	throttled := func(p Progress) {
		if report != nil {
			report(p)
		}
		// Progress goes to the journal now and then, not on every tick.
		if now := e.now(); now.Sub(last) >= 10*time.Second {
			last = now
			pp := p
			e.Record(Event{Type: EvProgress, Step: s.ID, Operator: op, Progress: &pp})
		}
	}
	return s.Exec.Run(ctx, env, throttled)
}

// Verify re-checks an interrupted or finished step without changing
// anything and records nothing; the caller shows the result.
func (e *Engine) Verify(ctx context.Context, id StepID, env *Env) (Result, error) {
	s := e.RB.Step(id)
	if s == nil || s.Exec == nil {
		return Result{}, fmt.Errorf("%s cannot be verified", id)
	}
	return s.Exec.Verify(ctx, env)
}
