package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/cutover/cutover/runbook"
)

// checklist renders the phases and steps with a cursor on one step.
type checklist struct {
	cursor int                     // index into rb.Steps
	over   map[runbook.StepID]bool // running steps past their budget
}

func (c *checklist) move(rb *runbook.Runbook, d int) {
	c.cursor = max(0, min(len(rb.Steps)-1, c.cursor+d))
}

// view renders at most height rows, scrolled so the cursor shows. Every
// phase keeps its heading with its done/total count: when the list does not
// fit, the phases other than the cursor's fold to their heading.
func (c *checklist) view(st runbook.State, running map[runbook.StepID]*run, width, height int) string {
	rb := st.Runbook()
	type phaseRows struct {
		heading string
		steps   []string
		cursor  int // index into steps, -1 when the cursor is elsewhere
	}
	var phases []*phaseRows
	for i, s := range rb.Steps {
		if len(phases) == 0 || rb.Steps[i-1].Phase != s.Phase {
			phases = append(phases, &phaseRows{heading: c.heading(st, s.Phase, width), cursor: -1})
		}
		p := phases[len(phases)-1]
		if i == c.cursor {
			p.cursor = len(p.steps)
		}
		p.steps = append(p.steps, c.row(st, s, running[s.ID], i == c.cursor, width))
	}
	total := 0
	for _, p := range phases {
		total += 1 + len(p.steps)
	}
	// Folded, the cursor's phase opens, then whole phases while they fit.
	open := map[*phaseRows]bool{}
	room := height - len(phases)
	for _, p := range phases {
		if p.cursor >= 0 {
			room -= len(p.steps)
		}
	}
	for _, p := range phases {
		if p.cursor < 0 && len(p.steps) <= room {
			open[p], room = true, room-len(p.steps)
		}
	}
	var rows []string
	cursorRow := 0
	for _, p := range phases {
		rows = append(rows, p.heading)
		switch {
		case total <= height || open[p] || (p.cursor >= 0 && room >= 0):
			cursorRow = max(cursorRow, len(rows)+p.cursor)
			rows = append(rows, p.steps...)
		case p.cursor >= 0:
			room := max(1, height-len(phases))
			start := max(0, min(p.cursor-room/2, len(p.steps)-room))
			cursorRow = len(rows) + p.cursor - start
			rows = append(rows, p.steps[start:min(len(p.steps), start+room)]...)
		}
	}
	if len(rows) > height { // fewer rows than phases: keep the cursor's
		start := max(0, min(cursorRow-height/2, len(rows)-height))
		rows = rows[start : start+height]
	}
	return strings.Join(rows, "\n")
}

// heading is a phase's title with how many of its steps are settled (done
// or skipped) out of those that apply, and a mark when one failed.
func (c *checklist) heading(st runbook.State, phase string, width int) string {
	done, total, failed := st.PhaseProgress(phase)
	count := sFaint.Render(fmt.Sprintf("%d/%d", done, total))
	if failed > 0 {
		count += sBad.Render(fmt.Sprintf(" %d failed", failed))
	}
	title := truncate(strings.ToUpper(phaseTitle(phase)), width-lipgloss.Width(count)-1)
	return sTitle.Render(title) + " " + count
}

func (c *checklist) row(st runbook.State, s *runbook.Step, r *run, selected bool, width int) string {
	eff := st.Effective(s.ID)
	rec := st.Get(s.ID)
	word := string(eff)
	if r != nil && r.progress.Total > 0 {
		word = fmt.Sprintf("%d%%", r.progress.Done*100/r.progress.Total)
	}
	if c.over[s.ID] {
		word = "over budget"
	}
	who := ""
	if !rec.At.IsZero() && eff != runbook.Ready && eff != runbook.Pending && eff != runbook.NotApplied {
		who = rec.By
		if rec.Second != "" {
			who += "+" + rec.Second
		}
		who += " " + rec.At.Local().Format("15:04")
	}
	gate := " "
	switch s.Gate {
	case runbook.TwoPerson:
		gate = "²"
	case runbook.Confirm:
		gate = "¹"
	}
	left := fmt.Sprintf("%s %-11s %s%s", runbook.Glyph(eff), word, s.ID, gate)
	pad := width - lipgloss.Width(left) - lipgloss.Width(who) - 1
	line := left
	if pad >= 1 {
		line += strings.Repeat(" ", pad) + who
	}
	mark := " "
	if selected {
		mark = "▸" // the cursor shows without colour too
	}
	line = truncate(mark+line, width)
	if selected {
		return sSel.Width(width).Render(line)
	}
	return statusStyle(eff).Render(line)
}

func phaseTitle(id string) string {
	for _, p := range runbook.Phases {
		if p.ID == id {
			return p.Title
		}
	}
	return id
}

// truncate cuts s to width cells, marking the cut.
func truncate(s string, width int) string {
	if width <= 0 {
		return ""
	}
	return ansi.Truncate(s, width, "…")
}
