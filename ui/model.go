package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/progress"
	tea "charm.land/bubbletea/v2"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/livesync"
)

// Minimum terminal size; below it the console says so.
const minWidth, minHeight = 80, 24

// Options wire the console to its engine and its probes.
type Options struct {
	Engine   *runbook.Engine
	Operator string
	Notes    []string // things replay found (torn journal line, interrupted steps)
	Source   *Pane
	Target   *Pane
	Mapping  *Mapping
	Log      func(string, ...any) // the log file; never the screen
	// Hooks run before a manual step's tick is recorded (in the lab,
	// ticking cutover.restart restarts the simulated application).
	Hooks map[runbook.StepID]Hook
	Now   func() time.Time // the clock (fixed in golden tests)
	// Live is the process's live sync, shown while it runs; LiveLog
	// carries its log lines to the timeline.
	Live    LiveSync
	LiveLog <-chan string
	// Budgets are the steps' rehearsed durations plus the window's margin.
	Budgets runbook.Budgets
	// OnAbort is told each abort criterion the first time it is met (the
	// notifier); Handoff writes the handoff file and says where.
	OnAbort func(reason string)
	Handoff func(st runbook.State, running []string) (path string, err error)
}

// Hook is work done for a manual step when it is ticked.
type Hook struct {
	Hint string // shown in the tick dialog
	Do   func(ctx context.Context) error
}

// hookDoneMsg reports a hook's outcome; the tick is recorded only after
// it succeeded.
type hookDoneMsg struct {
	step runbook.StepID
	note string
	err  error
}

// tab is what a small terminal shows at once.
type tab int

const (
	tabRunbook tab = iota
	tabLive
	tabLog
)

// Model is the root of the console.
type Model struct {
	work     *work
	eng      *runbook.Engine
	operator string
	state    runbook.State
	logFile  func(string, ...any)
	now      func() time.Time

	width, height int
	tab           tab
	keys          KeyMap
	helpOpen      bool // the help overlay is up
	list          checklist
	log           timeline
	dialog        *dialog
	status        string // one-line note under the panes (plan being worked out, ...)
	runs          map[runbook.StepID]*run
	bar           progress.Model
	src, tgt      *Pane
	mapping       *Mapping
	quitting      bool
	cache         map[string][2]string // name -> key, render (see memo)
	hooks         map[runbook.StepID]Hook
	live          LiveSync
	liveLog       <-chan string
	liveStats     livesync.Stats
	liveOn        bool
	budgets       runbook.Budgets
	criteria      probes.Criteria
	readings      []probes.Reading
	aborted       map[string]bool // criteria announced once
	onAbort       func(string)
	handoff       func(runbook.State, []string) (string, error)
}

// New builds the console model. Its work (polls, plans, step runs) is
// derived from ctx and ends with Close.
func New(ctx context.Context, o Options) *Model {
	m := &Model{work: newWork(ctx), eng: o.Engine, keys: NewKeyMap(o.Engine.Config.ActionKeys()), operator: o.Operator, state: o.Engine.State(), logFile: o.Log, now: o.Now,
		log: timeline{max: 500}, runs: map[runbook.StepID]*run{}, cache: map[string][2]string{}, hooks: o.Hooks, live: o.Live, liveLog: o.LiveLog, src: o.Source, tgt: o.Target, mapping: o.Mapping,
		budgets: o.Budgets, criteria: probes.Criteria{List: o.Engine.Config.Window.Criteria}, aborted: map[string]bool{}, onAbort: o.OnAbort, handoff: o.Handoff,
		bar: progress.New(progress.WithWidth(40), progress.WithoutPercentage(),
			progress.WithColors(colAccent, colOK))}
	if m.now == nil {
		m.now = time.Now
	}
	if m.logFile == nil {
		m.logFile = func(string, ...any) {}
	}
	for _, n := range o.Notes {
		m.addLog(1, "%s", n)
	}
	m.addLog(0, "console started by %s; journal %s", m.operator, filepath.Base(o.Engine.Config.Journal))
	return m
}

// Init starts the pollers.
func (m *Model) Init() tea.Cmd {
	var cmds []tea.Cmd
	for _, p := range []*Pane{m.src, m.tgt} {
		if p != nil {
			cmds = append(cmds, p.poll(m.work))
		}
	}
	if m.mapping != nil {
		cmds = append(cmds, m.mapping.fetch(m.work))
	}
	if m.live != nil {
		cmds = append(cmds, m.liveTick())
	}
	if m.liveLog != nil {
		cmds = append(cmds, m.readLiveLog())
	}
	return tea.Batch(cmds...)
}

// Close ends the console's work: it cancels whatever still runs (step
// runs, polls, plans, hooks, timers), waits for all of it, then closes
// the panes' pollers (their connections and Sentinel watchers).
func (m *Model) Close() {
	m.work.close()
	for _, p := range []*Pane{m.src, m.tgt} {
		p.close()
	}
}

func (m *Model) addLog(level int, format string, args ...any) {
	text := m.eng.Redact.Scrub(fmt.Sprintf(format, args...))
	m.log.add(logLine{at: m.now(), level: level, text: text})
	m.logFile("%s", text)
}

func (m *Model) focused() *runbook.Step { return m.state.Runbook().Steps[m.list.cursor] }

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case pollMsg:
		return m, m.onPoll(msg)
	case pollTickMsg:
		return m, m.onPollTick(msg)
	case liveTickMsg:
		return m, m.onLiveTick()
	case liveLogMsg:
		return m, m.onLiveLog(msg)
	case handoffMsg:
		return m, m.onHandoff(msg)
	case cloudWatchMsg:
		return m, m.mapping.onFetch(m.work, msg)
	case mappingTickMsg:
		return m, m.mapping.fetch(m.work)
	case progressMsg:
		m.state = m.eng.State() // the run's start is recorded by now
		if r := m.runs[msg.step]; r != nil {
			r.observe(msg.p, msg.at)
			return m, r.next()
		}
	case logMsg:
		m.state = m.eng.State()
		m.log.add(msg.line)
		m.logFile("%s", msg.line.text)
		if r := m.runs[msg.step]; r != nil {
			return m, r.next()
		}
	case stepDoneMsg:
		return m, m.onStepDone(msg)
	case planMsg:
		m.status = ""
		if msg.err != nil {
			m.addLog(2, "%s: cannot work out the plan: %v", msg.step, msg.err)
			return m, nil
		}
		return m, m.show(newConfirm(m.state.Runbook().Step(msg.step), m.state.RunOpts(msg.step), msg.plan, m.operator))
	case verifyMsg:
		m.status = ""
		if msg.err != nil {
			m.addLog(2, "%s verify: %v", msg.step, msg.err)
		} else {
			lvl := 0
			if !msg.res.OK {
				lvl = 2
			}
			m.addLog(lvl, "%s verify: %s", msg.step, resultWord(msg.res)+" "+msg.res.Summary)
		}
	case dialogDoneMsg:
		return m, m.onDialog(msg)
	case hookDoneMsg:
		m.status = ""
		if msg.err != nil {
			m.addLog(2, "%s: %v; not ticked", msg.step, msg.err)
			return m, nil
		}
		m.tick(msg.step, msg.note)
	}
	return m, nil
}

func resultWord(r runbook.Result) string {
	if r.OK {
		return "PASS"
	}
	return "FAIL"
}

func (m *Model) onStepDone(msg stepDoneMsg) tea.Cmd {
	r := m.runs[msg.step]
	delete(m.runs, msg.step)
	m.state = m.eng.State()
	switch {
	case msg.err != nil && msg.res.Summary == "":
		m.addLog(2, "%s failed: %v", msg.step, msg.err)
	case msg.err != nil || !msg.res.OK:
		m.addLog(2, "%s failed: %s", msg.step, msg.res.Summary)
	default:
		m.addLog(0, "%s done: %s", msg.step, msg.res.Summary)
	}
	if m.quitting && len(m.runs) == 0 {
		return tea.Quit
	}
	if r != nil {
		return r.next() // drains the closed channel
	}
	return nil
}

// key handles a key press: the dialog first, then global keys, then the
// checklist.
func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if m.dialog != nil {
		cmd, done, answer := m.dialog.update(msg)
		if done {
			m.dialog = nil
			if answer != nil {
				a := *answer
				return func() tea.Msg { return a }
			}
		}
		return cmd
	}
	if m.helpOpen {
		m.helpOpen = false
		return nil
	}
	k, rb := m.keys, m.state.Runbook()
	switch {
	case key.Matches(msg, k.Quit):
		if len(m.runs) > 0 {
			return m.show(newQuit(m.runningIDs(), k.Dialog))
		}
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.helpOpen = true
	case key.Matches(msg, k.TabRunbook):
		m.tab = tabRunbook
	case key.Matches(msg, k.TabLive):
		m.tab = tabLive
	case key.Matches(msg, k.TabLog):
		m.tab = tabLog
	case key.Matches(msg, k.NextTab):
		m.tab = (m.tab + 1) % 3
	case key.Matches(msg, k.Up):
		m.list.move(rb, -1)
	case key.Matches(msg, k.Down):
		m.list.move(rb, 1)
	case key.Matches(msg, k.PageUp):
		m.list.move(rb, -10)
	case key.Matches(msg, k.PageDown):
		m.list.move(rb, 10)
	case key.Matches(msg, k.First):
		m.list.cursor = 0
	case key.Matches(msg, k.Last):
		m.list.cursor = len(rb.Steps) - 1
	case key.Matches(msg, k.Rollback):
		m.focus(runbook.RollbackCname)
		if _, abort := m.abortMet(); abort {
			return m.act(m.focused()) // the abort banner offers the rollback at once
		}
	case key.Matches(msg, k.Handoff):
		return m.writeHandoff()
	case key.Matches(msg, k.NextShard):
		m.nextShard()
	case key.Matches(msg, k.Run):
		return m.act(m.focused())
	case key.Matches(msg, k.Skip):
		s := m.focused()
		return m.show(newReasonDialog(dlgSkip, s, "Skip "+string(s.ID), "Why is it skipped? (recorded in the journal)"))
	case key.Matches(msg, k.Rerun):
		s := m.focused()
		if s.Kind != runbook.Action {
			return m.act(s) // checks re-run without ceremony
		}
		return m.show(newReasonDialog(dlgRerun, s, "Re-run "+string(s.ID)+" on purpose", "Why run it again? (recorded in the journal)"))
	case key.Matches(msg, k.Verify):
		return m.verify(m.focused())
	case key.Matches(msg, k.Cancel):
		if r := m.runs[m.focused().ID]; r != nil {
			r.cancel()
			m.addLog(1, "%s: cancel asked by %s", r.step, m.operator)
		}
	}
	return nil
}

// show opens a dialog with the console's dialog keys.
func (m *Model) show(d *dialog) tea.Cmd {
	d.keys = m.keys.Dialog
	m.dialog = d
	return d.open()
}

func (m *Model) focus(id runbook.StepID) {
	for i, s := range m.state.Runbook().Steps {
		if s.ID == id {
			m.list.cursor = i
		}
	}
}

func (m *Model) runningIDs() []runbook.StepID {
	var ids []runbook.StepID
	for id := range m.runs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// act does what enter means for a step's kind.
func (m *Model) act(s *runbook.Step) tea.Cmd {
	if m.runs[s.ID] != nil {
		m.addLog(1, "%s is already running", s.ID)
		return nil
	}
	if b := m.state.Blocker(s.ID); b != "" {
		m.addLog(1, "%s", b)
		return nil
	}
	switch s.Kind {
	case runbook.Decision:
		return m.show(newDecide(s, m.state))
	case runbook.Manual:
		d := newReasonDialog(dlgTick, s, "Tick "+string(s.ID)+": "+s.Title, "What was done? (note for the journal)")
		if h, ok := m.hooks[s.ID]; ok {
			d.body = append(d.body, h.Hint)
		}
		return m.show(d)
	case runbook.Check:
		return m.start(s.ID, runbook.Request{Operator: m.operator})
	}
	if s.Exec == nil {
		m.addLog(2, "%s has no executor in this build", s.ID)
		return nil
	}
	if st := m.state.Get(s.ID).Status; st != runbook.Pending {
		m.addLog(1, "%s is %s; press %s to re-run it on purpose", s.ID, st, first(m.keys.Rerun))
		return nil
	}
	m.status = "working out the plan for " + string(s.ID) + "…"
	env := m.eng.Env(m.operator, nil, nil)
	eng := m.eng
	return m.work.cmd(func(ctx context.Context) tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		p, err := eng.Plan(ctx, s.ID, env)
		if err != nil {
			err = fmt.Errorf("%s", eng.Redact.Scrub(err.Error()))
		}
		return planMsg{step: s.ID, plan: p, err: err}
	})
}

func (m *Model) verify(s *runbook.Step) tea.Cmd {
	if s.Exec == nil {
		m.addLog(1, "%s is a %s step: nothing to verify", s.ID, s.Kind)
		return nil
	}
	m.status = "verifying " + string(s.ID) + "…"
	env := m.eng.Env(m.operator, nil, nil)
	eng := m.eng
	return m.work.cmd(func(ctx context.Context) tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		res, err := eng.Verify(ctx, s.ID, env)
		if err != nil {
			err = fmt.Errorf("%s", eng.Redact.Scrub(err.Error()))
		}
		return verifyMsg{step: s.ID, res: res, err: err}
	})
}

func (m *Model) start(id runbook.StepID, req runbook.Request) tea.Cmd {
	r, cmd := m.startRun(id, req)
	m.runs[id] = r
	who := req.Operator
	if req.Second != "" {
		who += " with " + req.Second
	}
	m.addLog(0, "%s started by %s", id, who)
	return cmd
}

// tick records a manual step as done.
func (m *Model) tick(step runbook.StepID, note string) {
	if _, err := m.eng.Record(runbook.Event{Type: runbook.EvTick, Step: step, Operator: m.operator, Note: note}); err != nil {
		m.addLog(2, "%v", err)
		return
	}
	m.state = m.eng.State()
	m.addLog(0, "%s ticked by %s: %s", step, m.operator, note)
}

// onDialog carries out a submitted dialog through the engine.
func (m *Model) onDialog(a dialogDoneMsg) tea.Cmd {
	rec := func(ev runbook.Event) bool {
		ev.Step, ev.Operator = a.step, m.operator
		if _, err := m.eng.Record(ev); err != nil {
			m.addLog(2, "%v", err)
			return false
		}
		m.state = m.eng.State()
		return true
	}
	switch a.kind {
	case dlgQuit:
		m.quitting = true
		for _, r := range m.runs {
			r.cancel()
		}
		if len(m.runs) == 0 {
			return tea.Quit
		}
		m.status = "cancelling running steps before quitting…"
	case dlgDecide:
		if rec(runbook.Event{Type: runbook.EvDecide, Choice: a.values["choice"], Reason: a.values["text"]}) {
			m.addLog(0, "%s: %s chose %s: %s", a.step, m.operator, a.values["choice"], a.values["text"])
		}
	case dlgTick:
		if h, ok := m.hooks[a.step]; ok {
			m.status = "running the hook of " + string(a.step) + "…"
			step, note := a.step, a.values["text"]
			return m.work.cmd(func(ctx context.Context) tea.Msg {
				ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				return hookDoneMsg{step: step, note: note, err: h.Do(ctx)}
			})
		}
		m.tick(a.step, a.values["text"])
	case dlgSkip:
		if rec(runbook.Event{Type: runbook.EvSkip, Reason: a.values["text"]}) {
			m.addLog(1, "%s skipped by %s: %s", a.step, m.operator, a.values["text"])
		}
	case dlgRerun:
		if rec(runbook.Event{Type: runbook.EvRerun, Reason: a.values["text"]}) {
			m.addLog(1, "%s re-armed by %s: %s", a.step, m.operator, a.values["text"])
			return m.act(m.state.Runbook().Step(a.step))
		}
	case dlgConfirm:
		opts := map[string]string{}
		for k, v := range a.values {
			if name, ok := strings.CutPrefix(k, "opt:"); ok {
				opts[name] = v
			}
		}
		return m.start(a.step, runbook.Request{Operator: m.operator, Second: a.values["second"],
			Confirmed: a.values["confirm"], Plan: a.plan, Options: opts})
	}
	return nil
}
