package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/cutover/cutover/runbook"
)

// run is a step executing in a goroutine.
type run struct {
	step     runbook.StepID
	cancel   context.CancelFunc
	started  time.Time
	progress runbook.Progress
	rate     float64 // units per second, smoothed
	lastAt   time.Time
	lastDone int64
	msgs     chan tea.Msg
	done     <-chan struct{} // the console's end
}

// Messages from running steps.
type (
	progressMsg struct {
		step runbook.StepID
		p    runbook.Progress
		at   time.Time
	}
	stepDoneMsg struct {
		step runbook.StepID
		res  runbook.Result
		err  error
	}
	logMsg struct {
		step runbook.StepID
		line logLine
	}
	planMsg struct {
		step runbook.StepID
		plan runbook.Plan
		err  error
	}
	verifyMsg struct {
		step runbook.StepID
		res  runbook.Result
		err  error
	}
)

// observe folds a progress report into the rate estimate.
func (r *run) observe(p runbook.Progress, at time.Time) {
	if !r.lastAt.IsZero() && at.After(r.lastAt) && p.Done >= r.lastDone {
		inst := float64(p.Done-r.lastDone) / at.Sub(r.lastAt).Seconds()
		if r.rate == 0 {
			r.rate = inst
		} else {
			r.rate = 0.7*r.rate + 0.3*inst
		}
	}
	r.progress, r.lastAt, r.lastDone = p, at, p.Done
}

// eta is the time left at the current rate, or 0 when unknown.
func (r *run) eta() time.Duration {
	if r.rate <= 0 || r.progress.Total <= 0 || r.progress.Done >= r.progress.Total {
		return 0
	}
	return time.Duration(float64(r.progress.Total-r.progress.Done) / r.rate * float64(time.Second))
}

// Run runs the console until the operator quits or ctx ends (a stop the
// caller asked for, not an error), then closes it: whatever still runs is
// cancelled and waited for.
func Run(ctx context.Context, o Options) error {
	m := New(ctx, o)
	defer m.Close()
	_, err := tea.NewProgram(m, tea.WithContext(ctx)).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// startRun launches the engine run in a goroutine; its progress, log lines
// and result come back through r.msgs, drained by next(). The run ends
// when it is cancelled (c, quit) or the console closes.
func (m *Model) startRun(id runbook.StepID, req runbook.Request) (*run, tea.Cmd) {
	ctx, cancel := context.WithCancel(m.work.ctx)
	r := &run{step: id, cancel: cancel, started: time.Now(), msgs: make(chan tea.Msg, 64), done: m.work.ctx.Done()}
	eng := m.eng
	m.work.goroutine(func(context.Context) {
		defer cancel()
		var lastSent time.Time
		logf := func(format string, args ...any) {
			line := eng.Redact.Scrub(fmt.Sprintf(format, args...))
			r.send(logMsg{step: id, line: logLine{at: time.Now(), text: string(id) + ": " + line}})
		}
		report := func(p runbook.Progress) {
			// About ten a second reach the screen; the last always does.
			if now := time.Now(); now.Sub(lastSent) >= 100*time.Millisecond || (p.Total > 0 && p.Done >= p.Total) {
				lastSent = now
				p.Message = eng.Redact.Scrub(p.Message)
				select {
				case r.msgs <- progressMsg{step: id, p: p, at: now}:
				default:
				}
			}
		}
		res, err := eng.Run(ctx, id, req, logf, report)
		r.send(stepDoneMsg{step: id, res: res, err: err})
		close(r.msgs)
	})
	return r, r.next()
}

// send hands a message to the console; once it has closed nobody reads
// them, and the run must not wait.
func (r *run) send(msg tea.Msg) {
	select {
	case r.msgs <- msg:
	case <-r.done:
	}
}

// next waits for the run's next message.
func (r *run) next() tea.Cmd {
	return func() tea.Msg {
		select {
		case m, ok := <-r.msgs:
			if !ok {
				return nil
			}
			return m
		case <-r.done:
			return nil
		}
	}
}
