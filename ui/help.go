package ui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
)

// helpRows are the lines of the help overlay.
func (k KeyMap) helpRows() []key.Binding {
	return []key.Binding{
		group("move between steps", k.Up, k.Down),
		group("ten steps up or down", k.PageUp, k.PageDown),
		group("the first or the last step", k.First, k.Last),
		k.Run, k.Skip, k.Rerun, k.Verify, k.Cancel, k.Rollback, k.Handoff,
		group("runbook, live panes, log (on terminals under 120x36)", k.TabRunbook, k.TabLive, k.TabLog, k.NextTab),
		k.NextShard,
		k.Help, k.Quit,
	}
}

// helpView lists every key.
func helpView(k KeyMap) string {
	h := help.New()
	h.Styles.FullKey = sKey.PaddingRight(1) // two spaces before what a key does
	h.Styles.FullDesc = lipgloss.NewStyle()
	b := []string{sTitle.Render("Keys"), "", h.FullHelpView([][]key.Binding{k.helpRows()}), "",
		sFaint.Render("Glyphs: ○ ready  ◐ running  ✓ done  ✗ failed  ↷ skipped"),
		sFaint.Render("        ! interrupted  – n/a  · pending"),
		sFaint.Render("Gates:  ¹ type the resource to confirm"),
		sFaint.Render("        ² two-person: a second operator confirms")}
	return sPane.Render(strings.Join(b, "\n"))
}
