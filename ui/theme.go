// Package ui is the console: a Bubble Tea program with the checklist, the
// live INFO panes, the metric mapping table, the log and the confirm
// dialogs. View is a pure function of the model; all I/O runs in commands.
package ui

import (
	"charm.land/lipgloss/v2"

	"github.com/cutover/cutover/runbook"
)

// Colours are explicit 256-palette values so they keep their meaning in a
// 256-colour tmux; every status also has a glyph and a word.
var (
	colFaint  = lipgloss.Color("245")
	colText   = lipgloss.Color("252")
	colAccent = lipgloss.Color("39")
	colOK     = lipgloss.Color("42")
	colWarn   = lipgloss.Color("214")
	colBad    = lipgloss.Color("203")
	colRun    = lipgloss.Color("75")
	colBorder = lipgloss.Color("240")
	colSel    = lipgloss.Color("236")
)

var (
	sTitle  = lipgloss.NewStyle().Bold(true).Foreground(colAccent)
	sFaint  = lipgloss.NewStyle().Foreground(colFaint)
	sText   = lipgloss.NewStyle().Foreground(colText)
	sBold   = lipgloss.NewStyle().Bold(true)
	sOK     = lipgloss.NewStyle().Foreground(colOK)
	sWarn   = lipgloss.NewStyle().Foreground(colWarn)
	sBad    = lipgloss.NewStyle().Foreground(colBad).Bold(true)
	sRun    = lipgloss.NewStyle().Foreground(colRun)
	sSel    = lipgloss.NewStyle().Background(colSel).Bold(true)
	sKey    = lipgloss.NewStyle().Foreground(colAccent).Bold(true)
	sPane   = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(colBorder).Padding(0, 1)
	sDialog = lipgloss.NewStyle().Border(lipgloss.DoubleBorder()).BorderForeground(colWarn).Padding(0, 1)
	sBanner = lipgloss.NewStyle().Foreground(lipgloss.Color("16")).Background(colWarn).Bold(true)
)

// statusStyle colours a status; the glyph and word carry the meaning.
func statusStyle(s runbook.Status) lipgloss.Style {
	switch s {
	case runbook.Done:
		return sOK
	case runbook.Failed, runbook.Interrupted:
		return sBad
	case runbook.Running:
		return sRun
	case runbook.Ready:
		return sText.Bold(true)
	case runbook.Skipped:
		return sWarn
	}
	return sFaint
}
