package ui

import "strings"

// helpView lists every key.
func helpView() string {
	rows := [][2]string{
		{"↑/↓ j/k", "move between steps (pgup/pgdown, g/G: first/last)"},
		{"enter", "run a check · plan and confirm an action · decide · tick a manual step"},
		{"s", "skip the step (a reason is recorded)"},
		{"r", "re-run: checks at once; actions after a reason, a new plan and confirmation"},
		{"v", "verify: re-check a step's outcome without changing anything"},
		{"c", "cancel the focused running step"},
		{"b", "jump to rollback.cname (opens it at once while an abort criterion is met)"},
		{"H", "write the handoff for the next engineer (Markdown beside the journal)"},
		{"1 2 3 / tab", "runbook, live panes, log (on terminals under 120x36)"},
		{"?", "this help (any key closes it)"},
		{"q / ctrl+c", "quit (asks first while a step runs)"},
	}
	var b []string
	b = append(b, sTitle.Render("Keys"), "")
	for _, r := range rows {
		b = append(b, sKey.Render(padRight(r[0], 12))+" "+r[1])
	}
	b = append(b, "", sFaint.Render("Glyphs: ○ ready  ◐ running  ✓ done  ✗ failed  ↷ skipped  ! interrupted  – n/a  · pending"),
		sFaint.Render("Gates: ¹ type the resource to confirm   ² two-person: a second operator confirms"))
	return sPane.Render(strings.Join(b, "\n"))
}

func padRight(s string, n int) string {
	for len([]rune(s)) < n {
		s += " "
	}
	return s
}
