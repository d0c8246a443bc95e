package report

import (
	"fmt"
	"time"

	"github.com/cutover/cutover/runbook"
)

// history is the journal replayed: the events and the state they fold to.
type history struct {
	cfg    *runbook.Config
	rb     *runbook.Runbook
	events []runbook.Event
	state  runbook.State
	torn   string
	runs   map[runbook.StepID][]run // per step, in order
}

// run is one start of a step and how it ended.
type run struct {
	start     runbook.Event
	end       *runbook.Event // succeed, fail or interrupted; nil while running
	confirmed string
}

func (r run) took() time.Duration {
	if r.end == nil {
		return 0
	}
	return r.end.Time.Sub(r.start.Time)
}

func load(cfg *runbook.Config, rb *runbook.Runbook) (*history, error) {
	rep, err := runbook.ReadJournal(cfg.Journal)
	if err != nil {
		return nil, err
	}
	h := &history{cfg: cfg, rb: rb, events: rep.Events, torn: rep.Torn,
		state: runbook.NewState(rb, cfg.Source.Kind, cfg.Target.Kind), runs: map[runbook.StepID][]run{}}
	for i, ev := range rep.Events {
		if h.state, err = runbook.Apply(h.state, ev); err != nil {
			return nil, fmt.Errorf("journal %s: event %d (line %d) does not replay: %v", cfg.Journal, ev.Seq, i+1, err)
		}
		switch ev.Type {
		case runbook.EvStart:
			h.runs[ev.Step] = append(h.runs[ev.Step], run{start: ev, confirmed: ev.Confirmed})
		case runbook.EvSucceed, runbook.EvFail, runbook.EvInterrupted:
			if rs := h.runs[ev.Step]; len(rs) > 0 {
				e := ev
				rs[len(rs)-1].end = &e
			}
		}
	}
	return h, nil
}

// result is the last recorded result of a step (a failed run's too).
func (h *history) result(id runbook.StepID) *runbook.Result {
	return h.state.Get(id).Result
}

// output is a step's output: a fact of its last successful run, else what
// its last result recorded.
func (h *history) output(f runbook.Fact) string {
	if v, ok := h.state.Facts[f]; ok {
		return v
	}
	if r := h.result(f.Step); r != nil {
		return r.Outputs[f.Name]
	}
	return ""
}

func (h *history) lastRun(id runbook.StepID) (run, bool) {
	rs := h.runs[id]
	if len(rs) == 0 {
		return run{}, false
	}
	return rs[len(rs)-1], true
}
