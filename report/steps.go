package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cutover/cutover/runbook"
)

func summary(m *md, h *history) {
	m.heading("Summary")
	counts := map[runbook.Status]int{}
	for _, s := range h.rb.Steps {
		counts[h.state.Effective(s.ID)]++
	}
	var parts []string
	for _, st := range []runbook.Status{runbook.Done, runbook.Failed, runbook.Interrupted, runbook.Running, runbook.Skipped, runbook.Ready, runbook.Pending, runbook.NotApplied} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	m.line("Steps: %s.", strings.Join(parts, ", "))
	m.line("")
	swap, rollback := h.state.Get(runbook.CutoverCname), h.state.Get(runbook.RollbackCname)
	switch {
	case rollback.Status == runbook.Done && !rollback.At.Before(swap.At):
		m.line("Clients were pointed back at the source (rollback.cname, %s).", stamp(rollback.At))
	case swap.Status == runbook.Done:
		m.line("Clients use the target since %s (cutover.cname).", stamp(swap.At))
	case swap.Runs > 0:
		m.line("The CNAME swap was attempted; it is %s (see the DNS section).", swap.Status)
	default:
		m.line("The CNAME has not been swapped.")
	}
}

// steps lists every step that happened, with who ran it and who confirmed.
func steps(m *md, h *history) {
	m.heading("Steps")
	var rows [][]string
	for _, s := range h.rb.Steps {
		st := h.state.Get(s.ID)
		eff := h.state.Effective(s.ID)
		if st.At.IsZero() && eff != runbook.Failed {
			continue // nothing happened to it
		}
		confirmed, took := "", ""
		if r, ok := h.lastRun(s.ID); ok {
			if r.confirmed != "" {
				confirmed = "typed " + code(r.confirmed)
				if r.start.Second != "" {
					confirmed += ", second operator " + r.start.Second
				}
			}
			if d := r.took(); d > 0 {
				took = d.Round(100 * time.Millisecond).String()
			}
		}
		runs := ""
		if st.Runs > 1 {
			runs = fmt.Sprintf(" (%d runs)", st.Runs)
		}
		rows = append(rows, []string{string(s.ID), runbook.Glyph(eff) + " " + string(eff) + runs, who(st.By, st.Second), confirmed,
			stamp(st.At), took, outcome(st)})
	}
	if len(rows) == 0 {
		m.line("Nothing has been run yet.")
		return
	}
	m.table([]string{"Step", "Status", "By", "Confirmation", "When", "Took", "Outcome"}, rows)
}

// outcome is a step's one-line why.
func outcome(st runbook.StepState) string {
	switch {
	case st.Status == runbook.Failed:
		return "failed: " + st.Error
	case st.Status == runbook.Skipped:
		return "skipped: " + st.Reason
	case st.Choice != "":
		return "chose " + st.Choice + ": " + st.Reason
	case st.Note != "":
		return "note: " + st.Note
	case st.Result != nil:
		return st.Result.Summary
	}
	return ""
}

func decisions(m *md, h *history) {
	var rows [][]string
	for _, s := range h.rb.Steps {
		st := h.state.Get(s.ID)
		if s.Kind != runbook.Decision || st.Choice == "" {
			continue
		}
		title := st.Choice
		for _, o := range s.Options {
			if o.ID == st.Choice {
				title = o.Title
			}
		}
		rows = append(rows, []string{string(s.ID), title, st.Reason, st.By, stamp(st.At)})
	}
	if len(rows) == 0 {
		return
	}
	m.heading("Decisions")
	m.table([]string{"Decision", "Choice", "Reason", "By", "When"}, rows)
}

func skipped(m *md, h *history) {
	var rows [][]string
	for _, s := range h.rb.Steps {
		if st := h.state.Get(s.ID); st.Status == runbook.Skipped {
			rows = append(rows, []string{string(s.ID), st.Reason, st.By, stamp(st.At)})
		}
	}
	if len(rows) == 0 {
		return
	}
	m.heading("Skipped")
	m.table([]string{"Step", "Reason", "By", "When"}, rows)
}

// trouble lists interruptions (and whether the step was settled after)
// and the failed runs.
func trouble(m *md, h *history) {
	var rows [][]string
	for _, ev := range h.events {
		switch ev.Type {
		case runbook.EvInterrupted:
			rows = append(rows, []string{stamp(ev.Time), string(ev.Step), "interrupted", ev.Note + "; now " + string(h.state.Effective(ev.Step))})
		case runbook.EvFail:
			rows = append(rows, []string{stamp(ev.Time), string(ev.Step), "failed", ev.Error})
		}
	}
	if len(rows) == 0 {
		return
	}
	m.heading("Interruptions and failures")
	m.table([]string{"When", "Step", "What", "Detail"}, rows)
}

// timeline is every event but progress, in order.
func timeline(m *md, h *history) {
	m.heading("Timeline")
	var rows [][]string
	for _, ev := range h.events {
		if ev.Type == runbook.EvProgress {
			continue
		}
		rows = append(rows, []string{stamp(ev.Time), string(ev.Step), string(ev.Type), who(ev.Operator, ev.Second), detail(ev)})
	}
	if len(rows) == 0 {
		m.line("The journal is empty.")
		return
	}
	m.table([]string{"Time", "Step", "Event", "Who", "Detail"}, rows)
}

func detail(ev runbook.Event) string {
	var parts []string
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	switch ev.Type {
	case runbook.EvStart:
		if ev.Plan != nil {
			add(ev.Plan.Summary)
		}
		for _, k := range slices.Sorted(maps.Keys(ev.Options)) {
			add(k + "=" + ev.Options[k])
		}
	case runbook.EvSucceed, runbook.EvFail:
		if ev.Result != nil {
			add(ev.Result.Summary)
		}
		if ev.Error != "" && (ev.Result == nil || ev.Error != ev.Result.Summary) {
			add(ev.Error)
		}
	case runbook.EvDecide:
		add("chose " + ev.Choice)
		add(ev.Reason)
	default:
		add(ev.Reason)
		add(ev.Note)
	}
	return strings.Join(parts, "; ")
}
