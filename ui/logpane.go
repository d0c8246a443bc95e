package ui

import (
	"strings"
	"time"

	"charm.land/lipgloss/v2"
)

// logLine is one timeline entry.
type logLine struct {
	at    time.Time
	level int // 0 info, 1 warn, 2 error
	text  string
}

// timeline keeps the last lines of the log pane.
type timeline struct {
	lines []logLine
	max   int
	added int // lines ever added: the render cache key
}

func (t *timeline) add(l logLine) {
	t.added++
	t.lines = append(t.lines, l)
	if len(t.lines) > t.max {
		t.lines = append(t.lines[:0:0], t.lines[len(t.lines)-t.max:]...)
	}
}

// view renders the newest lines that fit, oldest first.
func (t *timeline) view(width, height int) string {
	if height <= 0 {
		return ""
	}
	start := max(0, len(t.lines)-height)
	var rows []string
	for _, l := range t.lines[start:] {
		st := sText
		tag := "   "
		switch l.level {
		case 1:
			st, tag = sWarn, "!  "
		case 2:
			st, tag = sBad, "✗  "
		}
		row := sFaint.Render(l.at.Local().Format("15:04:05")) + " " + st.Render(tag+l.text)
		rows = append(rows, lipgloss.NewStyle().MaxWidth(width).Render(row))
	}
	return strings.Join(rows, "\n")
}
