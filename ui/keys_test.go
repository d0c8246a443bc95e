package ui

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/cutover/cutover/runbook"
)

// Every action the config may rebind has a binding and a help text, and
// the defaults bind no key twice.
func TestKeyMapCoversEveryAction(t *testing.T) {
	k := NewKeyMap((&runbook.Config{}).ActionKeys()) // no keys section
	byName := k.actions()
	owner := map[string]string{}
	for _, a := range runbook.KeyActions {
		b, ok := byName[a.Name]
		if !ok || actionHelp[a.Name] == "" {
			t.Fatalf("action %s has no binding or no help", a.Name)
		}
		if !slices.Equal(b.Keys(), a.Keys) || !b.Enabled() {
			t.Errorf("%s is bound to %v, want its defaults %v", a.Name, b.Keys(), a.Keys)
		}
		for _, key := range a.Keys {
			if o, dup := owner[key]; dup {
				t.Errorf("%q is the default of both %s and %s", key, o, a.Name)
			}
			owner[key] = a.Name
		}
	}
	if len(byName) != len(runbook.KeyActions) || len(actionHelp) != len(runbook.KeyActions) {
		t.Fatalf("%d bindings and %d help texts for %d actions", len(byName), len(actionHelp), len(runbook.KeyActions))
	}
}

// A key rebound in the config does the action, the old key no longer
// does, and the footer and the help show the new key.
func TestReboundKeys(t *testing.T) {
	f := newFixtureWith(t, 80, 24, "keys: {skip: [S], rerun: [R], help: [f1]}\n")
	f.press(t, "s")
	if f.m.dialog != nil {
		t.Fatalf("s still skips:\n%s", f.screen())
	}
	f.press(t, "S")
	if f.m.dialog == nil || f.m.dialog.kind != dlgSkip {
		t.Fatalf("S did not open the skip dialog:\n%s", f.screen())
	}
	f.press(t, "esc")
	if s := f.screen(); !strings.Contains(s, "S skip  R re-run") || !strings.Contains(s, "f1 help") {
		t.Fatalf("the footer does not show the new keys:\n%s", s)
	}
	f.send(t, tea.KeyPressMsg{Code: tea.KeyF1})
	s := f.screen()
	for _, row := range []string{`│ S +skip the step`, `│ R +re-run:`, `│ f1 +this help`} {
		if !regexp.MustCompile(row).MatchString(s) {
			t.Errorf("the help has no line %q:\n%s", row, s)
		}
	}
	for i, l := range strings.Split(f.m.render(), "\n") {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("help line %d is %d wide at 80x24", i, w)
		}
	}
	f.press(t, "x") // any key closes it
	if f.m.helpOpen {
		t.Fatal("the help is still open")
	}
}
