package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/cutover/cutover/runbook"
)

// The screen: layout of the panes, header, footer, dialogs on top.

// View renders the whole screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "cutover"
	return v
}

func (m *Model) render() string {
	w, h := m.width, m.height
	if w == 0 {
		return ""
	}
	if w < minWidth || h < minHeight {
		msg := fmt.Sprintf("cutover needs at least %dx%d; this terminal is %dx%d.\nMake it larger (or zoom a tmux pane with prefix z).", minWidth, minHeight, w, h)
		return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, msg)
	}
	header := m.header(w)
	footer := m.footer(w)
	bodyH := h - lipgloss.Height(header) - lipgloss.Height(footer)
	var body string
	switch {
	case m.helpOpen:
		body = lipgloss.Place(w, bodyH, lipgloss.Center, lipgloss.Center, helpView(m.keys))
	case m.wide():
		body = m.wideBody(w, bodyH)
	default:
		body = m.tabBody(w, bodyH)
	}
	screen := vjoin(header, body, footer)
	if m.dialog != nil {
		box := m.dialog.view(w)
		x := max(0, (w-lipgloss.Width(box))/2)
		y := max(0, (h-lipgloss.Height(box))/2)
		screen = overlay(screen, box, x, y)
	}
	return screen
}

func (m *Model) header(w int) string {
	cfg := m.eng.Config
	left := sTitle.Render("cutover") + sFaint.Render(" · ") + cfg.Source.Kind + " → " + cfg.Target.Kind +
		sFaint.Render(" · operator ") + sBold.Render(m.operator)
	right := m.now().Local().Format("15:04:05")
	line := left + strings.Repeat(" ", max(1, w-lipgloss.Width(left)-lipgloss.Width(right))) + right
	rows := []string{truncate(line, w)}
	if wl := m.windowLine(); wl != "" {
		rows = append(rows, truncate(wl, w))
	}
	for _, b := range []string{m.abortBanner(), m.lateBanner(), m.replicaBanner(), m.rollbackBanner(), m.liveBanner()} {
		if b != "" {
			rows = append(rows, sBanner.Width(w).Render(truncate(b, w)))
		}
	}
	return strings.Join(rows, "\n")
}

// replicaBanner warns when the last failover drill left the CNAME leading
// to a node that is now a replica (writes through it get READONLY) and
// the swap has not been re-run since.
func (m *Model) replicaBanner() string {
	drill, swap := m.state.Get(runbook.VerifyFailover), m.state.Get(runbook.CutoverCname)
	if m.state.Facts[runbook.FailoverDNSPointsAtReplica] != "true" || swap.At.After(drill.At) {
		return ""
	}
	return " CNAME LEADS TO A REPLICA since the drill: writes get READONLY · see verify.failover, then re-run cutover.cname"
}

// rollbackBanner is shown from the moment the swap ran until a rollback
// is done, so the way back is always in sight.
func (m *Model) rollbackBanner() string {
	swap := m.state.Get(runbook.CutoverCname)
	if swap.Runs == 0 || m.state.Get(runbook.RollbackCname).Status == runbook.Done {
		return ""
	}
	return fmt.Sprintf(" ROLLBACK AVAILABLE · the CNAME was swapped (%s) · press b for rollback.cname", swap.Status)
}

func (m *Model) footer(w int) string {
	k := m.keys
	var keys []key.Binding
	switch {
	case m.dialog != nil:
		d := k.Dialog
		keys = []key.Binding{brief("next/submit", d.Submit), brief("field", d.Next), brief("choose", d.Left, d.Right), brief("cancel", d.Cancel)}
	default:
		keys = []key.Binding{brief("step", k.Up, k.Down), brief(m.enterWord(), k.Run), brief("skip", k.Skip), brief("re-run", k.Rerun), brief("verify", k.Verify)}
		if m.runs[m.focused().ID] != nil {
			keys = append(keys, brief("cancel", k.Cancel))
		}
		if !m.wide() {
			keys = append(keys, brief("tabs", k.TabRunbook, k.TabLive, k.TabLog))
		}
		keys = append(keys, brief("help", k.Help), brief("quit", k.Quit))
	}
	line := keyLine("  ", sKey, sFaint, keys...)
	if m.status != "" {
		line = sWarn.Render(m.status) + "  " + line
	}
	return truncate(line, w)
}

func (m *Model) enterWord() string {
	switch m.focused().Kind {
	case runbook.Decision:
		return "decide"
	case runbook.Manual:
		return "tick"
	case runbook.Action:
		return "plan+confirm"
	}
	return "run"
}

// wide tells whether everything fits on one screen (else: tabs).
func (m *Model) wide() bool { return m.width >= 120 && m.height >= 36 }

// wideBody: checklist and detail on the left, live panes and mapping on
// the right, the log along the bottom.
func (m *Model) wideBody(w, h int) string {
	logH := max(6, h/5)
	topH := h - logH
	leftW := min(60, w*2/5)
	rightW := w - leftW
	left := m.runbookColumn(leftW, topH)
	right := m.liveColumn(rightW, topH)
	top := hjoin(left, right)
	return vjoin(top, m.logPane(w, logH))
}

// tabBody shows one of runbook, live and log at a time.
func (m *Model) tabBody(w, h int) string {
	names := []string{first(m.keys.TabRunbook) + " Runbook", first(m.keys.TabLive) + " Live", first(m.keys.TabLog) + " Log"}
	var tabs []string
	for i, n := range names {
		if tab(i) == m.tab {
			tabs = append(tabs, sSel.Render(" "+n+" "))
		} else {
			tabs = append(tabs, sFaint.Render(" "+n+" "))
		}
	}
	bar := strings.Join(tabs, " ")
	h--
	var body string
	switch m.tab {
	case tabRunbook:
		body = m.runbookColumn(w, h)
	case tabLive:
		body = m.liveColumn(w, h)
	default:
		body = m.logPane(w, h)
	}
	return vjoin(bar, body)
}

// runbookColumn is the checklist with the focused step's detail: side by
// side when wide enough, else stacked.
func (m *Model) runbookColumn(w, h int) string {
	listW, listH, detW, detH := w, max(8, h*11/20), w, 0
	side := w >= 110
	if side {
		listW, listH, detW = 50, h, w-50
	}
	detH = h - listH
	if side {
		detH = h
	}
	s := m.focused()
	r := m.runs[s.ID]
	runKey := ""
	for id, r := range m.runs {
		runKey += fmt.Sprintf("%s:%d/%d ", id, r.progress.Done, r.progress.Total)
	}
	m.list.over = m.overruns()
	list := m.memo("checklist", fmt.Sprint(m.state.Seq, m.list.cursor, listW, listH, runKey, m.list.over), func() string {
		return pane("Checklist", m.list.view(m.state, m.runs, listW-4, listH-2), listW, listH)
	})
	detKey := fmt.Sprint(m.state.Seq, m.list.cursor, detW, detH)
	budget, _ := m.budgetText(s.ID)
	if r != nil {
		detKey += fmt.Sprint(r.progress, m.now().Unix())
	}
	det := m.memo("detail", detKey+budget, func() string {
		return pane("Step", detailView(m.state, s, r, &m.bar, m.now(), budget, m.keys, detW-4, detH-2), detW, detH)
	})
	if side {
		return hjoin(list, det)
	}
	return vjoin(list, det)
}

// memo returns the cached render of name while key is unchanged: View
// runs on every message, and most frames change one pane at most.
func (m *Model) memo(name, key string, render func() string) string {
	if c, ok := m.cache[name]; ok && c[0] == key {
		return c[1]
	}
	out := render()
	m.cache[name] = [2]string{key, out}
	return out
}

// liveColumn is the two INFO panes side by side over the mapping table.
func (m *Model) liveColumn(w, h int) string {
	paneH := min(h/2, 17)
	paneH = max(paneH, min(h, 12))
	paneH = max(paneH, min(paneH+m.tgt.clusterRows(), h-10)) // a cluster's node rows; the mapping keeps 10 lines
	half := w / 2
	src := m.memo("source", fmt.Sprint(m.src.tag, half, paneH), func() string {
		return pane(m.src.title(), m.src.view(half-4, paneH-2, m.now()), half, paneH)
	})
	tgt := m.memo("target", fmt.Sprint(m.tgt.tag, w-half, paneH), func() string {
		return pane(m.tgt.title(), m.tgt.view(w-half-4, paneH-2, m.now()), w-half, paneH)
	})
	row := hjoin(src, tgt)
	if m.liveOn && h-paneH >= 10 {
		row = vjoin(row, m.memo("live", fmt.Sprint(m.liveStats, w), func() string { return m.livePane(w, 7) }))
		paneH += 7
	}
	if h-paneH < 4 {
		return row
	}
	mp := m.memo("mapping", fmt.Sprint(m.src.tag, m.tgt.tag, m.mapping.ver(), w, h-paneH), func() string {
		return pane("CloudWatch → INFO", m.mapping.view(m.src, m.tgt, w-4, h-paneH-2), w, h-paneH)
	})
	return vjoin(row, mp)
}

func (m *Model) logPane(w, h int) string {
	return m.memo("log", fmt.Sprint(m.log.added, w, h), func() string {
		return pane("Log", m.log.view(w-4, h-2), w, h)
	})
}

// pane draws a bordered box of exactly w x h with a title in the border.
// Content lines wider than the box are cut; the box is built line by line
// (no re-wrapping), and cached by the caller's boxes.
func pane(title, content string, w, h int) string {
	innerW, innerH := w-4, h-2
	if innerW < 1 || innerH < 0 {
		return ""
	}
	t := truncate(" "+title+" ", innerW)
	var b strings.Builder
	b.WriteString(borderStyle.Render("╭─") + sTitle.Render(t) + borderStyle.Render(strings.Repeat("─", max(0, w-3-ansi.StringWidth(t)))+"╮"))
	left, right := borderStyle.Render("│")+" ", " "+borderStyle.Render("│")
	lines := strings.Split(content, "\n")
	for i := range innerH {
		line := ""
		if i < len(lines) {
			line = lines[i]
		}
		lw := ansi.StringWidth(line)
		if lw > innerW {
			line, lw = ansi.Truncate(line, innerW, "…"), innerW
		}
		b.WriteString("\n" + left + line + strings.Repeat(" ", innerW-lw) + right)
	}
	b.WriteString("\n" + borderStyle.Render("╰"+strings.Repeat("─", w-2)+"╯"))
	return b.String()
}

var borderStyle = lipgloss.NewStyle().Foreground(colBorder)

// hjoin puts boxes of equal height side by side.
func hjoin(boxes ...string) string {
	split := make([][]string, len(boxes))
	n := 0
	for i, b := range boxes {
		split[i] = strings.Split(b, "\n")
		n = max(n, len(split[i]))
	}
	rows := make([]string, n)
	for r := range rows {
		var sb strings.Builder
		for _, s := range split {
			if r < len(s) {
				sb.WriteString(s[r])
			}
		}
		rows[r] = sb.String()
	}
	return strings.Join(rows, "\n")
}

// vjoin stacks blocks.
func vjoin(blocks ...string) string { return strings.Join(blocks, "\n") }

// overlay draws box over screen with its top-left corner at x, y, keeping
// the styled text on both sides of it.
func overlay(screen, box string, x, y int) string {
	lines := strings.Split(screen, "\n")
	for i, b := range strings.Split(box, "\n") {
		row := y + i
		if row >= len(lines) {
			break
		}
		l := lines[row]
		right := ansi.TruncateLeft(l, x+lipgloss.Width(b), "")
		lines[row] = ansi.Truncate(l, x, "") + "\x1b[0m" + b + "\x1b[0m" + right
	}
	return strings.Join(lines, "\n")
}
