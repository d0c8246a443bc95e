package runbook

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Window is the booked change window: when it opens and closes, the last
// moment a rollback still fits, and the criteria that abort it.
type Window struct {
	Start  Time     `yaml:"start"`
	End    Time     `yaml:"end"`
	Length Duration `yaml:"length"`
	// RollbackDeadline is the last moment a rollback still fits in the
	// window. Left out, it is the end less the rehearsed rollback (or 15m).
	RollbackDeadline Time `yaml:"rollback_deadline"`
	// Margin is added to every rehearsed duration to make its budget.
	Margin float64 `yaml:"margin"`
	// Rehearsal is the file cutover rehearsal import writes and the
	// budgets are read from.
	Rehearsal string   `yaml:"rehearsal"`
	Abort     []string `yaml:"abort"`

	// Criteria are Abort, parsed at load.
	Criteria []Predicate `yaml:"-"`
}

// Booked reports whether the window has a time (criteria alone do not
// make a window).
func (w Window) Booked() bool { return !w.Start.IsZero() }

// Deadline is the rollback deadline: as configured, or the end less the
// rehearsed rollback's budget, or less 15m without a rehearsal.
func (w Window) Deadline(b Budgets) time.Time {
	if !w.RollbackDeadline.IsZero() {
		return w.RollbackDeadline.Time
	}
	if d, ok := b[RollbackCname]; ok {
		return w.End.Add(-d)
	}
	return w.End.Add(-15 * time.Minute)
}

// Time reads an RFC 3339 timestamp, such as 2026-12-06T02:00:00Z.
type Time struct{ time.Time }

// UnmarshalYAML takes the node so a bad value is reported with its line.
func (t *Time) UnmarshalYAML(n ast.Node) error {
	if _, scalar := n.(ast.ScalarNode); !scalar {
		return &nodeError{node: n, msg: "is not a single value; write a time like 2026-12-06T02:00:00Z"}
	}
	s := n.GetToken().Value
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return &nodeError{node: n, msg: fmt.Sprintf("%q is not a time; write it in RFC 3339 with its zone, like 2026-12-06T02:00:00Z or 2026-12-06T03:00:00+01:00", s)}
	}
	t.Time = v
	return nil
}

func (v *validator) window(c *Config, rb *Runbook) {
	w := &c.Window
	orDefault(&w.Margin, 0.25)
	orDefault(&w.Rehearsal, "cutover.rehearsal.json")
	w.Rehearsal = v.abs(w.Rehearsal)
	switch {
	case !w.Booked() && (!w.End.IsZero() || w.Length.Duration != 0 || !w.RollbackDeadline.IsZero()):
		v.fail("window.start", "missing; a window with an end, a length or a rollback deadline needs its start")
	case w.Booked() && w.End.IsZero() && w.Length.Duration == 0:
		v.fail("window.end", "missing; give the window an end time, or its length (window.length: 4h)")
	case !w.End.IsZero() && w.Length.Duration != 0:
		v.fail("window.length", "give the window an end or a length, not both")
	case w.Length.Duration < 0:
		v.fail("window.length", "must be positive")
	}
	if w.Booked() && w.End.IsZero() {
		w.End.Time = w.Start.Add(w.Length.Duration)
	}
	if w.Booked() && !w.End.After(w.Start.Time) {
		v.fail("window.end", "%s is not after the start %s", w.End.Format(time.RFC3339), w.Start.Format(time.RFC3339))
	}
	if d := w.RollbackDeadline; !d.IsZero() && (d.Before(w.Start.Time) || d.After(w.End.Time)) {
		v.fail("window.rollback_deadline", "%s is outside the window (%s to %s)", d.Format(time.RFC3339), w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339))
	}
	if w.Margin < 0 || w.Margin > 5 {
		v.fail("window.margin", "%g is out of range; use a fraction such as 0.25 (25%% on top of the rehearsal)", w.Margin)
	}
	w.Criteria = nil
	for i, text := range w.Abort {
		p, err := ParsePredicate(text, rb)
		if err != nil {
			v.fail(fmt.Sprintf("window.abort[%d]", i), "%s", err)
			continue
		}
		w.Criteria = append(w.Criteria, p)
	}
}

// Rehearsal is what a rehearsal's journal says each step took.
type Rehearsal struct {
	Journal  string             `json:"journal"`
	Imported time.Time          `json:"imported"`
	Steps    map[StepID]float64 `json:"steps"` // seconds
}

// operatorCap bounds the time counted for a decision or a tick: a
// rehearsal left idle overnight must not book the night into the window.
const operatorCap = 15 * time.Minute

// RehearsalFrom reads the durations out of a rehearsal's events: an
// action or check from its last start to its success, a decision, a tick
// or a skip from the event before it (the operator's time, at most 15m).
func RehearsalFrom(events []Event) Rehearsal {
	r := Rehearsal{Steps: map[StepID]float64{}}
	start := map[StepID]time.Time{}
	var prev time.Time
	for _, e := range events {
		switch e.Type {
		case EvStart:
			start[e.Step] = e.Time
		case EvSucceed:
			if t, ok := start[e.Step]; ok {
				r.Steps[e.Step] = e.Time.Sub(t).Seconds()
			}
		case EvDecide, EvTick, EvSkip:
			if !prev.IsZero() {
				r.Steps[e.Step] = min(e.Time.Sub(prev), operatorCap).Seconds()
			}
		}
		if e.Type != EvProgress {
			prev = e.Time
		}
	}
	return r
}

// WriteRehearsal saves r as JSON, whole or not at all.
func WriteRehearsal(path string, r Rehearsal) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadRehearsal loads an imported rehearsal; a missing file is none (nil).
func ReadRehearsal(path string) (*Rehearsal, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rehearsal %s: %w", path, err)
	}
	var r Rehearsal
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("rehearsal %s is not an imported rehearsal (%v); import it again with cutover rehearsal import JOURNAL", path, err)
	}
	return &r, nil
}

// Budgets are each step's rehearsed duration plus the window's margin.
type Budgets map[StepID]time.Duration

// Budgets of a rehearsal (none without one).
func (r *Rehearsal) Budgets(margin float64) Budgets {
	b := Budgets{}
	if r == nil {
		return b
	}
	for id, s := range r.Steps {
		b[id] = time.Duration(s * (1 + margin) * float64(time.Second)).Round(time.Second)
	}
	return b
}

// Projection is where the window is heading.
type Projection struct {
	End        time.Time     // now plus what is left
	Left       time.Duration // the budgets of the steps still to do
	Unbudgeted []StepID      // steps to do with no rehearsed duration
}

// inWindow reports whether a step belongs to the window's path: the
// rollback is not planned, and the decommission waits for days.
func inWindow(s *Step) bool { return s.ID != RollbackCname && s.Wait == nil }

// Project adds up the budgets of the steps still to do: a running step
// counts what is left of its budget (nothing once it overran).
func Project(s State, b Budgets, now time.Time) Projection {
	p := Projection{}
	for _, step := range s.rb.Steps {
		if !inWindow(step) {
			continue
		}
		eff := s.Effective(step.ID)
		if slices.Contains([]Status{Done, Skipped, NotApplied}, eff) {
			continue
		}
		d, ok := b[step.ID]
		if !ok {
			p.Unbudgeted = append(p.Unbudgeted, step.ID)
			continue
		}
		if eff == Running {
			d = max(d-now.Sub(s.Get(step.ID).Started), 0)
		}
		p.Left += d
	}
	p.End = now.Add(p.Left)
	return p
}

// Overrun is how far a running step is past its budget (0 within it).
func Overrun(s State, b Budgets, id StepID, now time.Time) (elapsed, budget time.Duration, over bool) {
	st := s.Get(id)
	budget, ok := b[id]
	if st.Status != Running || !ok {
		return 0, budget, false
	}
	elapsed = now.Sub(st.Started)
	return elapsed, budget, elapsed > budget
}

// Clock is where the window stands at a moment, for the header, the plan,
// the go/no-go and the handoff.
type Clock struct {
	Window     Window
	Now        time.Time
	Deadline   time.Time
	Projection Projection
}

// ClockAt works out the window's clock; ok is false without a booked window.
func ClockAt(w Window, s State, b Budgets, now time.Time) (Clock, bool) {
	if !w.Booked() {
		return Clock{}, false
	}
	return Clock{Window: w, Now: now, Deadline: w.Deadline(b), Projection: Project(s, b, now)}, true
}

// Late reports a projected end past the rollback deadline.
func (c Clock) Late() bool { return c.Projection.End.After(c.Deadline) }

// Lines say it in words, one fact a line.
func (c Clock) Lines() []string {
	hm := func(t time.Time) string { return t.Format("15:04 MST") }
	in := func(t time.Time) string {
		d := t.Sub(c.Now).Round(time.Minute)
		if d < 0 {
			return fmt.Sprintf("%s ago", -d)
		}
		return "in " + d.String()
	}
	lines := []string{
		fmt.Sprintf("window %s to %s: opens %s, ends %s", hm(c.Window.Start.Time), hm(c.Window.End.Time), in(c.Window.Start.Time), in(c.Window.End.Time)),
		fmt.Sprintf("rollback deadline %s (%s)", hm(c.Deadline), in(c.Deadline)),
	}
	p := fmt.Sprintf("projected end %s (%s of budgets left, rehearsal +%.0f%%)", hm(c.Projection.End), c.Projection.Left.Round(time.Second), 100*c.Window.Margin)
	if n := len(c.Projection.Unbudgeted); n > 0 {
		p += fmt.Sprintf("; %d step(s) to do have no rehearsed duration", n)
	}
	lines = append(lines, p)
	if c.Late() {
		lines = append(lines, fmt.Sprintf("LATE: the projected end %s is past the rollback deadline %s", hm(c.Projection.End), hm(c.Deadline)))
	}
	return lines
}
