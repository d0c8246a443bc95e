package report

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// md writes Markdown, remembering the first write error so the sections
// need not check each line.
type md struct {
	w   io.Writer
	err error
}

func (m *md) line(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format+"\n", args...)
	}
}

func (m *md) heading(title string) { m.line("\n## %s\n", title) }

// table writes a table; cells are escaped so a value cannot break it.
func (m *md) table(header []string, rows [][]string) {
	m.line("| %s |", strings.Join(header, " | "))
	m.line("|%s", strings.Repeat("---|", len(header)))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = cell(c)
		}
		m.line("| %s |", strings.Join(cells, " | "))
	}
}

func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "–"
	}
	return strings.ReplaceAll(s, "|", `\|`)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// who names the operator and, for a two-person step, the second.
func who(by, second string) string {
	if second != "" {
		return by + " + " + second
	}
	return by
}

// code quotes a value as inline code.
func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}
