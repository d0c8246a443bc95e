package ui

import (
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/cutover/cutover/runbook"
)

func init() { time.Local = time.UTC } // screens show local times

// Golden screens: the plain text of the main screens at the minimum size
// and a large one (go test ./ui -update rewrites them after a deliberate
// change; review the diff).
func TestGoldenScreens(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
		prep func(t *testing.T, f *fixture)
	}{
		{"dashboard_80x24", 80, 24, nil},
		{"live_80x24", 80, 24, func(t *testing.T, f *fixture) { f.press(t, "2") }},
		{"dashboard_160x48", 160, 48, nil},
		{"decided_160x48", 160, 48, func(t *testing.T, f *fixture) {
			for _, ev := range []runbook.Event{
				{Type: runbook.EvSkip, Step: "inventory.discover", Reason: "self-managed source"},
				{Type: runbook.EvDecide, Step: "inventory.auth", Choice: "acl", Reason: "one user per app"},
			} {
				ev.Operator, ev.Time = "alice", clock
				if _, err := f.eng.Record(ev); err != nil {
					t.Fatal(err)
				}
			}
			f.m.state = f.eng.State()
			f.press(t, "down")
		}},
		{"confirm_160x48", 160, 48, func(t *testing.T, f *fixture) {
			f.focus("build.dns")
			f.press(t, "enter")
			f.typeText(t, "cache.lab")
		}},
		{"help_80x24", 80, 24, func(t *testing.T, f *fixture) { f.press(t, "?") }},
		// The change window: the clock in the header, an abort met after
		// the swap, and a projected end past the rollback deadline.
		{"window_abort_80x24", 80, 24, func(t *testing.T, f *fixture) {
			inWindow(t, f, runbook.Budgets{runbook.CutoverWatch: 2 * time.Hour})
		}},
		{"window_abort_160x48", 160, 48, func(t *testing.T, f *fixture) {
			inWindow(t, f, runbook.Budgets{runbook.CutoverWatch: 2 * time.Hour})
		}},
		{"window_160x48", 160, 48, func(t *testing.T, f *fixture) {
			inWindow(t, f, runbook.Budgets{runbook.CutoverWatch: 10 * time.Minute})
			f.m.readings, f.m.criteria.List = nil, nil // a window without abort criteria
		}},
		// A cluster target: state and slots, a row per node (one down),
		// the focused shard in full; ] moves the focus.
		{"cluster_160x48", 160, 48, func(t *testing.T, f *fixture) { clusterTarget(t, f) }},
		{"cluster_shard2_160x48", 160, 48, func(t *testing.T, f *fixture) { clusterTarget(t, f); f.press(t, "]") }},
		{"cluster_live_80x24", 80, 24, func(t *testing.T, f *fixture) { clusterTarget(t, f); f.press(t, "2") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.w, tc.h)
			if tc.prep != nil {
				tc.prep(t, f)
			}
			golden.RequireEqual(t, ansi.Strip(f.m.render()))
		})
	}
}

func BenchmarkView(b *testing.B) {
	f := newFixture(b, 200, 50)
	f.m.View()
	b.ResetTimer()
	for b.Loop() {
		f.m.View()
	}
}

// BenchmarkViewNewSample is a frame after both panes got a new sample:
// the panes and the mapping table are rebuilt, the rest comes from cache.
func BenchmarkViewNewSample(b *testing.B) {
	f := newFixture(b, 200, 50)
	f.m.View()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		for _, p := range []*Pane{f.m.src, f.m.tgt} {
			f.m.Update(p.poll(f.m.work)())
		}
		b.StartTimer()
		f.m.View()
	}
}
