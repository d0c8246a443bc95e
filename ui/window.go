package ui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// The change window on screen: the clock in the header, each running
// step against its budget, and the abort criteria read on every poll.

// handoffMsg reports the handoff file written (or why not).
type handoffMsg struct {
	path string
	err  error
}

// observeCriteria reads the abort criteria against the panes' last
// samples (memory only) and announces each one the first time it is met.
func (m *Model) observeCriteria() {
	if len(m.criteria.List) == 0 || m.src == nil || m.tgt == nil {
		return
	}
	tgt := m.tgt.whole()
	l := probes.Live{Source: m.src.last, SourceRates: m.src.rates, Target: tgt.Sample, TargetRates: tgt.Rates, State: m.state}
	m.readings = m.criteria.Observe(l, m.now())
	for _, r := range m.readings {
		if r.Met && !m.aborted[r.Criterion.Text] {
			m.aborted[r.Criterion.Text] = true
			m.addLog(2, "ABORT criterion met: %s; rollback.cname is one key away (%s)", r, first(m.keys.Rollback))
			if m.onAbort != nil {
				m.onAbort(r.String())
			}
		}
	}
}

// abortMet is the first criterion met now, if any.
func (m *Model) abortMet() (probes.Reading, bool) {
	for _, r := range m.readings {
		if r.Met {
			return r, true
		}
	}
	return probes.Reading{}, false
}

func (m *Model) abortBanner() string {
	r, ok := m.abortMet()
	if !ok {
		return ""
	}
	return fmt.Sprintf(" ABORT: %s · press %s to roll back now (rollback.cname)", r, first(m.keys.Rollback))
}

// clock is the window's clock now; ok is false without a booked window.
func (m *Model) clock() (runbook.Clock, bool) {
	return runbook.ClockAt(m.eng.Config.Window, m.state, m.budgets, m.now())
}

// windowLine is the header's second line while a window is booked.
func (m *Model) windowLine() string {
	c, ok := m.clock()
	if !ok {
		return ""
	}
	hm := func(t time.Time) string { return t.Local().Format("15:04") }
	left := func(t time.Time) string {
		d := t.Sub(c.Now).Truncate(time.Minute)
		if d < 0 {
			return "passed"
		}
		return "in " + shortDuration(d)
	}
	end := sFaint.Render("window ends ") + sBold.Render(hm(c.Window.End.Time)) + sFaint.Render(" ("+left(c.Window.End.Time)+")")
	back := sFaint.Render(" · rollback by ") + sBold.Render(hm(c.Deadline)) + sFaint.Render(" ("+left(c.Deadline)+")")
	proj := sFaint.Render(" · projected end ") + hm(c.Projection.End)
	if c.Late() {
		proj = sFaint.Render(" · projected end ") + sBad.Render(hm(c.Projection.End)+" LATE")
	}
	return end + back + proj
}

func (m *Model) lateBanner() string {
	c, ok := m.clock()
	if !ok || !c.Late() {
		return ""
	}
	return fmt.Sprintf(" LATE: projected end %s is past the rollback deadline %s · decide now: go on, or roll back while it fits",
		c.Projection.End.Local().Format("15:04"), c.Deadline.Local().Format("15:04"))
}

// budgetText is a running step's elapsed time against its budget, with
// over set once it overran; "" without a budget.
func (m *Model) budgetText(id runbook.StepID) (text string, over bool) {
	el, b, over := runbook.Overrun(m.state, m.budgets, id, m.now())
	if b == 0 || m.state.Get(id).Status != runbook.Running {
		return "", false
	}
	text = fmt.Sprintf("%s of %s budget", shortDuration(el), shortDuration(b))
	if over {
		text = "OVER: " + text
	}
	return text, over
}

func shortDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d >= time.Hour {
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	if d >= time.Minute {
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return d.String()
}

// writeHandoff writes the handoff off the Update loop.
func (m *Model) writeHandoff() tea.Cmd {
	if m.handoff == nil {
		return nil
	}
	st, write := m.state, m.handoff
	var running []string
	if m.liveOn {
		running = append(running, "live sync source -> target: "+m.liveStats.String())
	}
	m.status = "writing the handoff…"
	return m.work.cmd(func(context.Context) tea.Msg {
		path, err := write(st, running)
		return handoffMsg{path, err}
	})
}

func (m *Model) onHandoff(msg handoffMsg) tea.Cmd {
	m.status = ""
	if msg.err != nil {
		m.addLog(2, "handoff not written: %v", msg.err)
		return nil
	}
	m.addLog(0, "handoff written to %s", msg.path)
	return nil
}

// overruns are the running steps past their budget.
func (m *Model) overruns() map[runbook.StepID]bool {
	var over map[runbook.StepID]bool
	for id := range m.runs {
		if _, o := m.budgetText(id); o {
			if over == nil {
				over = map[runbook.StepID]bool{}
			}
			over[id] = true
		}
	}
	return over
}
