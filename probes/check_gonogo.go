package probes

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/cutover/cutover/runbook"
)

// gonogo is the go/no-go before the swap: it changes nothing, but both
// operators confirm it, so it is a gated action whose plan is the reading.
type gonogo struct{}

const gonogoResource = "go"

// ReadCriteria polls both sides once and reads every abort criterion.
func ReadCriteria(ctx context.Context, cfg *runbook.Config, st runbook.State) []Reading {
	if len(cfg.Window.Criteria) == 0 {
		return nil
	}
	src, dst := SourcePoller(cfg), TargetPoller(cfg)
	defer src.Close()
	defer dst.Close()
	l := Live{Source: src.Poll(ctx), Target: dst.Poll(ctx), State: st}
	l.SourceRates, l.TargetRates = Derive(Sample{}, l.Source), Derive(Sample{}, l.Target)
	c := Criteria{List: cfg.Window.Criteria}
	return c.Observe(l, time.Now())
}

func readCriteria(ctx context.Context, env *runbook.Env) []Reading {
	var st runbook.State
	if env.State != nil {
		st = *env.State
	}
	return ReadCriteria(ctx, env.Config, st)
}

// WindowClock is the window's clock now, with the rehearsal's budgets;
// ok is false without a booked window.
func WindowClock(cfg *runbook.Config, s runbook.State, now time.Time) (runbook.Clock, bool, error) {
	r, err := runbook.ReadRehearsal(cfg.Window.Rehearsal)
	if err != nil {
		return runbook.Clock{}, false, err
	}
	c, ok := runbook.ClockAt(cfg.Window, s, r.Budgets(cfg.Window.Margin), now)
	return c, ok, nil
}

func (gonogo) Plan(ctx context.Context, env *runbook.Env) (runbook.Plan, error) {
	p := runbook.Plan{Resource: gonogoResource,
		Summary: "Both operators read the abort criteria with their values now and the window's clock, and confirm the go for the swap by typing go."}
	for _, r := range readCriteria(ctx, env) {
		p.Calls = append(p.Calls, "abort criterion "+r.String())
		if r.True || !r.Known {
			p.Warnings = append(p.Warnings, "abort criterion "+r.String())
		}
	}
	if len(p.Calls) == 0 {
		p.Warnings = append(p.Warnings, "the window has no abort criteria (window.abort): nothing will raise an abort after the swap")
	}
	if env.State != nil {
		c, ok, err := WindowClock(env.Config, *env.State, time.Now())
		if err != nil {
			p.Warnings = append(p.Warnings, err.Error())
		}
		if ok {
			p.Calls = append(p.Calls, c.Lines()...)
			if c.Late() {
				p.Warnings = append(p.Warnings, "the runbook is projected to end after the rollback deadline: a rollback may not fit in the window")
			}
		}
	}
	return p, nil
}

func (g gonogo) Run(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) (runbook.Result, error) {
	return g.Verify(ctx, env)
}

func (gonogo) Verify(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	res := runbook.Result{OK: true}
	trueNow := 0
	for _, r := range readCriteria(ctx, env) {
		value := "unknown: " + r.Why
		if r.Known {
			value = formatFigure(r.Value)
		}
		if r.True {
			trueNow++
		}
		res.Evidence = append(res.Evidence, runbook.Evidence{Name: r.Criterion.Text, Value: value, Want: "false when the swap is armed", OK: !r.True})
	}
	res.Outputs = map[string]string{"criteria": strconv.Itoa(len(res.Evidence)), "true_now": strconv.Itoa(trueNow)}
	res.Summary = fmt.Sprintf("go given with %d abort criteria read, %d true now", len(res.Evidence), trueNow)
	if trueNow > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d abort criteria were true when the go was given", trueNow))
	}
	return res, nil
}
