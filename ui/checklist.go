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
	cursor int // index into rb.Steps
}

func (c *checklist) move(rb *runbook.Runbook, d int) {
	c.cursor = max(0, min(len(rb.Steps)-1, c.cursor+d))
}

// view renders at most height rows, scrolled so the cursor shows.
func (c *checklist) view(st runbook.State, running map[runbook.StepID]*run, width, height int) string {
	rb := st.Runbook()
	var rows []string
	cursorRow := 0
	phase := ""
	for i, s := range rb.Steps {
		if s.Phase != phase {
			phase = s.Phase
			rows = append(rows, sTitle.Render(strings.ToUpper(phaseTitle(phase))))
		}
		if i == c.cursor {
			cursorRow = len(rows)
		}
		rows = append(rows, c.row(st, s, running[s.ID], i == c.cursor, width))
	}
	start := 0
	if len(rows) > height {
		start = max(0, min(cursorRow-height/2, len(rows)-height))
		rows = rows[start : start+height]
	}
	return strings.Join(rows, "\n")
}

func (c *checklist) row(st runbook.State, s *runbook.Step, r *run, selected bool, width int) string {
	eff := st.Effective(s.ID)
	rec := st.Get(s.ID)
	word := string(eff)
	if r != nil && r.progress.Total > 0 {
		word = fmt.Sprintf("%d%%", r.progress.Done*100/r.progress.Total)
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
