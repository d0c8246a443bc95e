package ui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
)

// KeyMap is every key of the console. The handling matches against it,
// and the footer, the help overlay and the hints are rendered from it, so
// none of them can disagree with what a key does. The console's actions
// take their keys from the config (runbook.Config.ActionKeys); a binding's
// help is its keys as shown and what it does.
type KeyMap struct {
	Up, Down, PageUp, PageDown, First, Last             key.Binding
	Run, Skip, Rerun, Verify, Cancel, Rollback, Handoff key.Binding
	TabRunbook, TabLive, TabLog, NextTab, NextShard     key.Binding
	Help, Quit                                          key.Binding
	Dialog                                              DialogKeys
}

// DialogKeys are a dialog's keys; they are fixed (a dialog takes text).
type DialogKeys struct {
	Submit, Next, Prev, Left, Right, Cancel, Yes, No key.Binding
}

// actionHelp says what each of runbook.KeyActions does, in the help.
var actionHelp = map[string]string{
	"up":          "one step up",
	"down":        "one step down",
	"page_up":     "ten steps up",
	"page_down":   "ten steps down",
	"first":       "the first step",
	"last":        "the last step",
	"run":         "run a check, plan and confirm an action, decide, tick",
	"skip":        "skip the step (a reason is recorded)",
	"rerun":       "re-run: checks at once; actions with a reason and a new plan",
	"verify":      "verify: re-check the outcome without changing anything",
	"cancel":      "cancel the focused running step",
	"rollback":    "jump to rollback.cname (opens it while an abort is met)",
	"handoff":     "write the handoff for the next engineer (beside the journal)",
	"tab_runbook": "the runbook tab",
	"tab_live":    "the live panes tab",
	"tab_log":     "the log tab",
	"next_tab":    "the next tab",
	"next_shard":  "a cluster target: the live pane's next shard in full",
	"help":        "this help (any key closes it)",
	"quit":        "quit (asks first while a step runs)",
}

// NewKeyMap binds the console's actions to keys (action name -> keys, as
// runbook.Config.ActionKeys gives them).
func NewKeyMap(keys map[string][]string) KeyMap {
	var k KeyMap
	for name, b := range k.actions() {
		*b = binding(actionHelp[name], keys[name]...)
	}
	k.Dialog = DialogKeys{
		Submit: binding("next/submit", "enter"),
		Next:   binding("move", "tab", "down"),
		Prev:   binding("back", "shift+tab", "up"),
		Left:   binding("choose", "left", "h"),
		Right:  binding("choose", "right", "l", "space"),
		Cancel: binding("cancel", "esc"),
		Yes:    binding("quit", "y", "Y"),
		No:     binding("stay", "esc", "n", "N", "q"),
	}
	return k
}

// actions are the bindings by their name in runbook.KeyActions.
func (k *KeyMap) actions() map[string]*key.Binding {
	return map[string]*key.Binding{
		"up": &k.Up, "down": &k.Down, "page_up": &k.PageUp, "page_down": &k.PageDown, "first": &k.First, "last": &k.Last,
		"run": &k.Run, "skip": &k.Skip, "rerun": &k.Rerun, "verify": &k.Verify, "cancel": &k.Cancel,
		"rollback": &k.Rollback, "handoff": &k.Handoff,
		"tab_runbook": &k.TabRunbook, "tab_live": &k.TabLive, "tab_log": &k.TabLog, "next_tab": &k.NextTab, "next_shard": &k.NextShard,
		"help": &k.Help, "quit": &k.Quit,
	}
}

func binding(desc string, keys ...string) key.Binding {
	var shown []string
	for _, k := range keys {
		shown = append(shown, keyName(k))
	}
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(strings.Join(shown, "/"), desc))
}

// keyName is a key as the screen shows it.
func keyName(k string) string {
	switch k {
	case "up":
		return "↑"
	case "down":
		return "↓"
	case "left":
		return "←"
	case "right":
		return "→"
	}
	return k
}

// first is the key a hint names: the first of b's keys.
func first(b key.Binding) string {
	if ks := b.Keys(); len(ks) > 0 {
		return keyName(ks[0])
	}
	return "?"
}

// brief is bs as one footer entry: the first key of each, and desc.
func brief(desc string, bs ...key.Binding) key.Binding {
	var keys, shown []string
	for _, b := range bs {
		keys = append(keys, b.Keys()...)
		shown = append(shown, first(b))
	}
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(strings.Join(shown, "/"), desc))
}

// group is bs as one line of the help: all their keys, and desc.
func group(desc string, bs ...key.Binding) key.Binding {
	var keys, shown []string
	for _, b := range bs {
		keys = append(keys, b.Keys()...)
		shown = append(shown, b.Help().Key)
	}
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(strings.Join(shown, " "), desc))
}

// keyLine renders bindings on one line with bubbles' help, its keys in
// keyStyle and what they do in descStyle.
func keyLine(sep string, keyStyle, descStyle lipgloss.Style, bs ...key.Binding) string {
	h := help.New()
	h.ShortSeparator = sep
	h.Styles.ShortKey, h.Styles.ShortDesc, h.Styles.ShortSeparator = keyStyle, descStyle, lipgloss.NewStyle()
	return h.ShortHelpView(bs)
}
