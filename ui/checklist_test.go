package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/cutover/cutover/runbook"
)

// However short the pane, every phase keeps its heading with its count and
// the cursor's step shows.
func TestChecklistKeepsEveryPhaseHeading(t *testing.T) {
	rb := runbook.New()
	st := runbook.NewState(rb, "redis", "sentinel")
	cname := 0
	for i, s := range rb.Steps {
		if s.ID == runbook.CutoverCname {
			cname = i
		}
	}
	for _, tc := range []struct {
		name           string
		cursor, height int
	}{
		{"first step, short pane", 0, 12},
		{"the swap, short pane", cname, 12},
		{"the last step, short pane", len(rb.Steps) - 1, 9},
		{"the swap, tall pane", cname, 60},
		{"fewer rows than phases", cname, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := checklist{cursor: tc.cursor}
			out := ansi.Strip(c.view(st, nil, 70, tc.height))
			rows := strings.Split(out, "\n")
			if len(rows) > tc.height {
				t.Fatalf("%d rows for a pane of %d", len(rows), tc.height)
			}
			if !strings.Contains(out, "▸") || !strings.Contains(out, string(rb.Steps[tc.cursor].ID)) {
				t.Errorf("the cursor's step %s is not shown:\n%s", rb.Steps[tc.cursor].ID, out)
			}
			if tc.height < len(runbook.Phases) {
				return
			}
			for _, p := range runbook.Phases {
				if !strings.Contains(out, strings.ToUpper(p.Title)) {
					t.Errorf("no heading for %s:\n%s", p.ID, out)
				}
			}
			if !strings.Contains(out, "0/9") {
				t.Errorf("the inventory heading has no done/total count:\n%s", out)
			}
		})
	}
}
