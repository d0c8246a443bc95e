package runbook

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// KeyAction is one thing the console does on a key; a config's keys
// section rebinds it by Name (keys: {skip: [S]}).
type KeyAction struct {
	Name string
	Keys []string // the default keys, as Bubble Tea names them
}

// KeyActions are the console's actions in the order its help lists them.
// The dialogs' keys (enter, tab, esc, y) are not among them: a dialog
// takes typed text, so its keys stay fixed.
var KeyActions = []KeyAction{
	{"up", []string{"up", "k"}},
	{"down", []string{"down", "j"}},
	{"page_up", []string{"pgup"}},
	{"page_down", []string{"pgdown"}},
	{"first", []string{"home", "g"}},
	{"last", []string{"end", "G"}},
	{"run", []string{"enter"}},
	{"skip", []string{"s"}},
	{"rerun", []string{"r"}},
	{"verify", []string{"v"}},
	{"cancel", []string{"c"}},
	{"rollback", []string{"b"}},
	{"handoff", []string{"H"}},
	{"tab_runbook", []string{"1"}},
	{"tab_live", []string{"2"}},
	{"tab_log", []string{"3"}},
	{"next_tab", []string{"tab"}},
	{"next_shard", []string{"]"}},
	{"help", []string{"?"}},
	{"quit", []string{"q", "ctrl+c"}},
}

// ActionKeys is every action's keys: the config's keys section over the
// defaults.
func (c *Config) ActionKeys() map[string][]string {
	out := make(map[string][]string, len(KeyActions))
	for _, a := range KeyActions {
		out[a.Name] = a.Keys
		if ks, ok := c.Keys[a.Name]; ok {
			out[a.Name] = ks
		}
	}
	return out
}

func keyActionNames() []string {
	var names []string
	for _, a := range KeyActions {
		names = append(names, a.Name)
	}
	return names
}

// keys refuses an unknown action, a key that is not one, and a key bound
// to two actions (counting the defaults of the actions left alone).
func (v *validator) keys(c *Config) {
	names := keyActionNames()
	for _, name := range slices.Sorted(maps.Keys(c.Keys)) {
		if !slices.Contains(names, name) {
			v.fail("keys."+name, "%q is not an action of the console; use one of %s", name, strings.Join(names, ", "))
		}
	}
	owner := map[string]string{}
	// The defaults left alone first, so a clash is reported at a key the
	// config gave.
	for _, a := range KeyActions {
		if _, set := c.Keys[a.Name]; !set {
			for _, k := range a.Keys {
				owner[k] = a.Name
			}
		}
	}
	for _, a := range KeyActions {
		ks, set := c.Keys[a.Name]
		if !set {
			continue
		}
		field := "keys." + a.Name
		if len(ks) == 0 {
			v.fail(field, "is empty; list at least one key, like [%s]", a.Keys[0])
		}
		for i, k := range ks {
			f := fmt.Sprintf("%s[%d]", field, i)
			if k == "" || strings.ContainsAny(k, " \t\n") {
				v.fail(f, "%q is not a key; write it as the console names it, like S, ctrl+s, f5, pgdown or space", k)
				continue
			}
			if o, taken := owner[k]; taken {
				hint := ""
				if _, set := c.Keys[o]; !set {
					hint = " (its default; rebind " + o + " too to free it)"
				}
				v.fail(f, "%q is bound twice: it is already the key of %s%s", k, o, hint)
				continue
			}
			owner[k] = a.Name
		}
	}
}
