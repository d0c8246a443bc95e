package probes

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/runbook"
)

// labConfig is a config with a standalone target and a redis source.
func labConfig(src, tgt runbook.Endpoint) *runbook.Config {
	return &runbook.Config{
		PollInterval: runbook.Duration{Duration: time.Second},
		Source:       src,
		Target:       runbook.Target{Endpoint: tgt},
		Cost:         runbook.DefaultCost(),
		// The lab's latency slack: the tests share a busy machine.
		Thresholds: runbook.Thresholds{ParityTolerance: 0.001, LatencyMargin: 0.25, HitRateMargin: 0.05,
			LatencySlack: runbook.Duration{Duration: 5 * time.Millisecond},
			Convergence:  0.99, WatchDuration: runbook.Duration{Duration: 2 * time.Second},
			BaselineWindow: runbook.Duration{Duration: time.Second}},
	}
}

func envFor(cfg *runbook.Config, facts runbook.Facts) *runbook.Env {
	rb := runbook.New()
	st := runbook.NewState(rb, cfg.Source.Kind, cfg.Target.Kind)
	for k, v := range facts {
		st.Facts[k] = v
	}
	return &runbook.Env{Config: cfg, State: &st, Operator: "test"}
}

// runCheck runs a step's check and its Plan, and returns the result.
func runCheck(t *testing.T, id runbook.StepID, env *runbook.Env) runbook.Result {
	t.Helper()
	ex := Checks()[id]
	if ex == nil {
		t.Fatalf("no check %s", id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	plan, err := ex.Plan(ctx, env)
	if err != nil || plan.Summary == "" || len(plan.Calls) == 0 {
		t.Fatalf("%s plan: %+v %v", id, plan, err)
	}
	res, err := ex.Run(ctx, env, nil)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	if res.Summary == "" || len(res.Evidence) == 0 {
		t.Fatalf("%s: empty result %+v", id, res)
	}
	return res
}

func evidence(t *testing.T, res runbook.Result, name string) runbook.Evidence {
	t.Helper()
	for _, e := range res.Evidence {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no evidence %q in %+v", name, res.Evidence)
	return runbook.Evidence{}
}

func wantResult(t *testing.T, res runbook.Result, ok bool, summary string) {
	t.Helper()
	if res.OK != ok || !strings.Contains(res.Summary, summary) {
		t.Fatalf("got ok=%v %q, want ok=%v and %q; evidence %+v", res.OK, res.Summary, ok, summary, res.Evidence)
	}
}

func TestReachable(t *testing.T) {
	t.Parallel()
	r := redisPW(t, "pw")
	res := runCheck(t, "build.reachable", envFor(labConfig(source(r.Addr(), "pw"), target(r.Addr(), "pw")), nil))
	wantResult(t, res, true, "refuses clients without it")

	res = runCheck(t, "build.reachable", envFor(labConfig(source(r.Addr(), "pw"), target(r.Addr(), "bad")), nil))
	wantResult(t, res, false, "PING with auth: WRONGPASS: the password for target is wrong")

	open := labtestRedis(t)
	res = runCheck(t, "build.reachable", envFor(labConfig(source(open.Addr(), "x"), target(open.Addr(), "x")), nil))
	wantResult(t, res, false, "the target accepts unauthenticated clients")
}
