package report

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/cutover/cutover/runbook"
)

// Handoff is what the next engineer needs, gathered by the caller (the
// console or cutover handoff): the live readings come from probes.
type Handoff struct {
	Config *runbook.Config
	State  runbook.State
	Now    time.Time
	By     string         // the operator handing over
	Clock  *runbook.Clock // nil without a booked window
	// Criteria are the abort criteria with their values now, one line each.
	Criteria []string
	// Running says what works in the background (the live sync), beside
	// the running steps the state knows.
	Running []string
}

// WriteHandoff renders h as Markdown, secrets scrubbed.
func WriteHandoff(w io.Writer, h Handoff) error {
	var buf bytes.Buffer
	m := &md{w: &buf}
	st := h.State
	rb := st.Runbook()
	m.line("# Handoff")
	m.line("")
	m.line("- Written %s by %s", stamp(h.Now), h.By)
	m.line("- Source %s %s, target %s %s", h.Config.Source.Kind, code(h.Config.Source.URL), h.Config.Target.Kind, code(h.Config.Target.URL))
	if h.Clock != nil {
		for _, l := range h.Clock.Lines() {
			m.line("- %s", l)
		}
	}

	m.heading("Where the runbook stands")
	var rows [][]string
	for _, ph := range runbook.Phases {
		done, total, failed := st.PhaseProgress(ph.ID)
		rows = append(rows, []string{ph.Title, fmt.Sprintf("%d/%d", done, total), fmt.Sprint(failed)})
	}
	m.table([]string{"phase", "done", "failed or interrupted"}, rows)
	if next := nextStep(st); next != nil {
		m.line("")
		m.line("Next: %s (%s): %s", code(string(next.ID)), next.Title, blockerOr(st, next.ID, "ready to run"))
	}

	m.heading("Running now")
	running := h.Running
	for _, s := range rb.Steps {
		if rec := st.Get(s.ID); rec.Status == runbook.Running {
			line := fmt.Sprintf("%s since %s (%s)", code(string(s.ID)), stamp(rec.Started), h.Now.Sub(rec.Started).Round(time.Second))
			if p := rec.Progress; p != nil && p.Message != "" {
				line += ": " + p.Message
			}
			running = append(running, line)
		}
	}
	bullets(m, running, "Nothing is running.")

	m.heading("What to watch")
	bullets(m, h.Criteria, "No abort criteria are configured (window.abort).")

	m.heading("Decisions taken")
	rows = nil
	for _, s := range rb.Steps {
		rec := st.Get(s.ID)
		if s.Kind == runbook.Decision && rec.Status == runbook.Done {
			rows = append(rows, []string{string(s.ID), rec.Choice, rec.Reason, rec.By, stamp(rec.At)})
		}
		if s.Gate == runbook.TwoPerson && rec.Status == runbook.Done {
			rows = append(rows, []string{string(s.ID), "confirmed", "", who(rec.By, rec.Second), stamp(rec.At)})
		}
	}
	if len(rows) == 0 {
		m.line("None yet.")
	} else {
		m.table([]string{"step", "choice", "reason", "by", "at"}, rows)
	}

	m.heading("What is left")
	rows = nil
	for _, s := range rb.Steps {
		switch eff := st.Effective(s.ID); eff {
		case runbook.Done, runbook.Skipped, runbook.NotApplied, runbook.Running:
		default:
			if s.ID == runbook.RollbackCname {
				continue
			}
			rows = append(rows, []string{string(s.ID), string(eff), string(s.GateOf()), blockerOr(st, s.ID, "")})
		}
	}
	if len(rows) == 0 {
		m.line("Nothing: every step is done, skipped or does not apply.")
	} else {
		m.table([]string{"step", "state", "gate", "waiting for"}, rows)
	}

	m.heading("Rollback")
	swap := st.Get(runbook.CutoverCname)
	switch {
	case swap.Runs == 0:
		m.line("The CNAME has not been swapped: there is nothing to roll back.")
	default:
		m.line("`rollback.cname` points %s back at %s (%s).", code(h.Config.DNS.Record), code(orElse(st.Facts[runbook.SwapPrevious], h.Config.DNS.SourceValue)), blockerOr(st, runbook.RollbackCname, "available now"))
	}
	if h.Clock != nil {
		m.line("")
		m.line("Rollback deadline: %s.", stamp(h.Clock.Deadline))
	}
	if m.err != nil {
		return m.err
	}
	_, err := w.Write(h.Config.Redactor().ScrubBytes(buf.Bytes()))
	return err
}

func bullets(m *md, lines []string, none string) {
	if len(lines) == 0 {
		m.line("%s", none)
	}
	for _, l := range lines {
		m.line("- %s", l)
	}
}

// nextStep is the first step still to do, in runbook order.
func nextStep(st runbook.State) *runbook.Step {
	for _, s := range st.Runbook().Steps {
		switch st.Effective(s.ID) {
		case runbook.Ready, runbook.Failed, runbook.Interrupted, runbook.Pending:
			if s.ID != runbook.RollbackCname {
				return s
			}
		}
	}
	return nil
}

func blockerOr(st runbook.State, id runbook.StepID, none string) string {
	if b := st.Blocker(id); b != "" {
		return b
	}
	return none
}

func orElse(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
