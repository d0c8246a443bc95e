// Package drill is verify.failover: a failover drill on a Sentinel-managed
// target or on a shard of a Redis Cluster. A canary writes sequence
// numbers through a client that follows the failover (Sentinel-aware or
// cluster) while the primary is killed, frozen or failed over; the event
// chain (the sentinels' notifications, or the nodes' CLUSTER NODES) is
// shown live; the result records detection, promotion, the client's
// outage, acknowledged writes lost and the old primary's return as a
// replica.
package drill

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// Executors are this package's steps by ID.
func Executors() map[runbook.StepID]runbook.Executor {
	return map[runbook.StepID]runbook.Executor{runbook.VerifyFailover: &Drill{}}
}

// Drill is the verify.failover executor.
type Drill struct {
	Timing Timing
}

func mode(env *runbook.Env) (string, error) {
	m := env.Opt("mode", "kill")
	switch m {
	case "kill", "freeze", "failover":
	default:
		return "", fmt.Errorf("run option mode=%q is not kill, freeze or failover", m)
	}
	if k := env.Config.Target.Kind; k != "sentinel" && k != "cluster" {
		return "", fmt.Errorf("the failover drill needs a sentinel or cluster target; target.kind is %s", k)
	}
	return m, nil
}

// readTarget reads the topology of the configured target.
func readTarget(ctx context.Context, env *runbook.Env) (target, error) {
	if env.Config.Target.Kind == "cluster" {
		return readCluster(ctx, env.Config.Target, env.Opt("shard", ""))
	}
	return readTopology(ctx, env.Config.Target)
}

// Plan reads the topology and says exactly what the drill will do to it.
func (d *Drill) Plan(ctx context.Context, env *runbook.Env) (runbook.Plan, error) {
	m, err := mode(env)
	if err != nil {
		return runbook.Plan{}, err
	}
	t := env.Config.Target
	tp, err := readTarget(ctx, env)
	if err != nil {
		return runbook.Plan{}, err
	}
	p, err := inspect(ctx, t, tp.drilled())
	if err != nil {
		return runbook.Plan{}, err
	}
	v := tp.words()
	plan := runbook.Plan{Resource: tp.drilled(),
		Summary: fmt.Sprintf("Failover drill (%s) on the primary %s, with a canary writing %s", m, tp.drilled(), v.via)}
	if _, err := tp.candidates(); err != nil {
		plan.Warnings = append(plan.Warnings, "the run will refuse: "+err.Error())
	}
	plan.Calls = append(plan.Calls, tp.readCalls()...)
	plan.Calls = append(plan.Calls,
		fmt.Sprintf("INFO server on the primary %s: process_id, executable, config_file", tp.drilled()),
		fmt.Sprintf("canary: SET %s<n> <n> PX %d, one write every %s %s", tp.prefix("<time>"), canaryTTL.Milliseconds(), d.Timing.interval(), v.via),
	)
	limit := tp.limit(m, d.Timing.margin())
	wait := fmt.Sprintf("wait for %s (at most %s)", v.promoted, limit)
	switch {
	case m == "kill" && p.local:
		plan.Calls = append(plan.Calls, fmt.Sprintf("SIGKILL process %d (the primary, on this machine)", p.pid), wait)
		if err := p.restartable(); err != nil {
			plan.Warnings = append(plan.Warnings, "the killed primary cannot be restarted by cutover ("+err.Error()+"): start it yourself after the drill so "+v.keeper+" makes it a replica")
		} else {
			plan.Calls = append(plan.Calls, fmt.Sprintf("restart the old primary from its config file: %s %s, detached (it keeps running after cutover exits)", p.exe, p.config))
			plan.Warnings = append(plan.Warnings, "cutover restarts the killed primary itself; in the practice lab that server was a child of `cutover lab`, and the restarted one is not")
		}
	case m == "kill":
		plan.Calls = append(plan.Calls,
			fmt.Sprintf("SHUTDOWN NOSAVE on the primary %s (%s, so it cannot be signalled)", tp.drilled(), p.why), wait)
		plan.Warnings = append(plan.Warnings, "nothing here restarts the stopped primary: its process manager (systemd Restart=, the container runtime) must start it again, then "+v.keeper+" makes it a replica")
	case m == "freeze" && !p.local:
		plan.Warnings = append(plan.Warnings, "freeze needs the primary on this machine ("+p.why+"): the run will refuse; choose kill or failover")
	case m == "freeze":
		plan.Calls = append(plan.Calls,
			fmt.Sprintf("SIGSTOP process %d (the primary, on this machine)", p.pid),
			wait+", then SIGCONT; SIGCONT also on any error or cancel, so nothing stays frozen")
	case m == "failover":
		plan.Calls = append(plan.Calls, tp.failoverCall(), wait)
	}
	plan.Calls = append(plan.Calls,
		fmt.Sprintf("wait for the old primary to answer as a replica of the new one with its link up (INFO replication, at most %s)", d.Timing.rejoin()),
		"MGET every acknowledged canary key on the new primary: acknowledged writes lost; then DEL the canary keys")
	if env.Config.DNS.Record != "" && v.moveBack != "" {
		plan.Calls = append(plan.Calls, fmt.Sprintf("resolve %s: warn if it leads to the old primary, now a replica", env.Config.DNS.Record))
	}
	return plan, nil
}

// Run carries out the drill. Whatever happens, a frozen primary is thawed
// and a killed local primary is started again.
func (d *Drill) Run(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	res := runbook.Result{Outputs: map[string]string{}}
	m, err := mode(env)
	if err != nil {
		return res, err
	}
	t := env.Config.Target
	tp, err := readTarget(ctx, env)
	if err != nil {
		return res, err
	}
	if _, err := tp.candidates(); err != nil {
		return res, err
	}
	p, err := inspect(ctx, t, tp.drilled())
	if err != nil {
		return res, err
	}
	if m == "freeze" && !p.local {
		return res, fmt.Errorf("freeze needs the primary on this machine (%s); choose kill or failover", p.why)
	}
	w, err := tp.watch(ctx, env.Logf)
	if err != nil {
		return res, err
	}
	defer w.close()
	r := &run{d: d, env: env, report: report, t: t, tp: tp, v: tp.words(), p: p, mode: m, res: &res}
	return res, r.drill(ctx, w)
}

// Verify re-checks the topology without changing anything: for Sentinel,
// the primary it names answers as one and a replica could be promoted;
// for a cluster, cluster_state ok and every primary has a replica.
func (d *Drill) Verify(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	if _, err := mode(env); err != nil {
		return runbook.Result{}, err
	}
	tp, err := readTarget(ctx, env)
	if err != nil {
		return runbook.Result{}, err
	}
	res := runbook.Result{OK: true}
	res.Evidence, res.Summary = tp.health(ctx)
	for _, e := range res.Evidence {
		res.OK = res.OK && e.OK
	}
	return res, nil
}

// run is one drill in progress.
type run struct {
	d      *Drill
	env    *runbook.Env
	report func(runbook.Progress)
	t      runbook.Target
	tp     target
	v      vocabulary
	p      primary
	mode   string
	res    *runbook.Result

	restarted, thawed bool
}

func (r *run) drill(ctx context.Context, w source) error {
	tm := r.d.Timing
	client := r.tp.client(tm)
	defer client.Close()
	prefix := r.tp.prefix(time.Now().UTC().Format("20060102T150405"))
	cn := startCanary(client, prefix, tm.interval(), tm.writeTimeout())
	halted := false
	var ws []write
	halt := func() {
		if !halted {
			halted, ws = true, cn.halt()
		}
	}
	defer halt()
	if err := warmUp(ctx, cn, r.v.via); err != nil {
		return err
	}

	pctx, stopPump := context.WithCancel(ctx)
	defer stopPump()
	t0 := time.Now()
	pm := startPump(pctx, w, r.v, t0, r.env.Logf)
	if r.mode == "freeze" {
		defer r.thaw() // on every path: nothing is left frozen
	}
	if r.mode == "kill" && r.p.local {
		defer r.restart() // on every path: a killed local primary comes back
	}
	if err := r.inject(ctx); err != nil {
		return err
	}
	sw, err := r.awaitSwitch(ctx, pm, t0)
	if err != nil || sw == nil {
		ch := pm.snapshot()
		r.res.Evidence = append(r.res.Evidence, runbook.Evidence{Name: r.v.events, Value: orNone(ch.String()), Want: "... → " + r.v.promote, OK: false})
		return err
	}
	newPrimary := r.tp.promotedTo(*sw)
	r.env.Logf("drill: %s promoted %.2fs after the fault", newPrimary, sw.At.Sub(t0).Seconds())
	if r.mode == "freeze" {
		r.thaw()
	}
	if r.mode == "kill" && r.p.local {
		r.restart()
	}
	resumed := r.awaitWrites(ctx, cn, sw.At)
	// The canary keeps writing until the old primary has rejoined: writes
	// a client sends it meanwhile (through a sentinel or a slot map not yet
	// updated) are
	// acknowledged and then lost, and the read-back must see that.
	took, st, rejoined := waitRejoin(ctx, r.t, r.p.addr, newPrimary, tm.rejoin(), r.report)
	halt()
	direct := probes.Client(r.t.Endpoint, "drill-readback", probes.Addr(newPrimary), probes.PoolSize(1))
	defer direct.Close()
	lost, acked, rerr := readBack(ctx, direct, cn, ws)
	if err := cleanup(ctx, direct, cn, ws); err != nil {
		r.res.Warnings = append(r.res.Warnings, "could not delete the canary keys "+prefix+"*: "+probes.Explain(err)+"; they expire within an hour")
	}
	if rerr != nil {
		return fmt.Errorf("after the drill: %s", probes.Explain(rerr))
	}
	r.figures(pm.snapshot(), measure(ws, t0), newPrimary, resumed, lost, acked)
	r.rejoined(took, st, rejoined)
	if w := dnsAfter(ctx, r.env.Config, r.p.addr, newPrimary, r.v.moveBack, r.res.Outputs, r.env.Logf); w != "" {
		r.res.Warnings = append(r.res.Warnings, w)
	}
	return nil
}

// warmUp waits until the canary's writes are acknowledged, so the outage is
// measured against a working client.
func warmUp(ctx context.Context, cn *canary, via string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, last := cn.acked()
		if n >= 10 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the canary could not write %s before the drill (%d acknowledged): %s", via, n, probes.Explain(last))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *run) inject(ctx context.Context) error {
	switch {
	case r.mode == "kill" && r.p.local:
		r.env.Logf("drill: SIGKILL the primary %s (pid %d)", r.p.addr, r.p.pid)
		return r.p.signal(syscall.SIGKILL)
	case r.mode == "kill":
		r.env.Logf("drill: SHUTDOWN NOSAVE on the primary %s", r.p.addr)
		return r.p.shutdown(ctx, r.t)
	case r.mode == "freeze":
		r.env.Logf("drill: SIGSTOP the primary %s (pid %d)", r.p.addr, r.p.pid)
		return r.p.signal(syscall.SIGSTOP)
	default:
		r.env.Logf("drill: %s", r.tp.failoverCall())
		return r.tp.failover(ctx)
	}
}

// awaitSwitch waits for the promotion event. An abort for want of a replica or
// the time limit ends the drill as failed (nil event, nil error).
func (r *run) awaitSwitch(ctx context.Context, pm *pump, t0 time.Time) (*event, error) {
	limit := r.tp.limit(r.mode, r.d.Timing.margin())
	timer := time.NewTimer(time.Until(t0.Add(limit)))
	defer timer.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case e := <-pm.switched:
			return &e, nil
		case e := <-pm.aborted:
			r.res.Summary = fmt.Sprintf("no replica can be promoted: the %ss aborted the failover (%s %s); the target kept its old primary %s", r.v.observer, e.Name, e.Payload, r.p.addr)
			return nil, nil
		case <-timer.C:
			r.res.Summary = fmt.Sprintf("no promotion within %s of the fault: the %ss saw %s; %s", limit, r.v.observer, orNone(pm.snapshot().String()), r.v.stuckHint)
			return nil, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("drill stopped before the promotion: %w", ctx.Err())
		case <-tick.C:
			r.report(runbook.Progress{Done: int64(time.Since(t0).Seconds()), Total: int64(limit.Seconds()), Unit: "s",
				Message: "waiting for the promotion: " + orNone(pm.snapshot().String())})
		}
	}
}

// awaitWrites waits for an acknowledged canary write after the promotion.
func (r *run) awaitWrites(ctx context.Context, cn *canary, promoted time.Time) bool {
	deadline := promoted.Add(r.d.Timing.resume())
	for !cn.ackedSince(promoted) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

func (r *run) thaw() {
	if r.thawed {
		return
	}
	r.thawed = true
	if err := r.p.signal(syscall.SIGCONT); err != nil {
		r.res.Warnings = append(r.res.Warnings, err.Error()+": the old primary may still be frozen; send it SIGCONT (kill -CONT)")
		return
	}
	r.env.Logf("drill: SIGCONT the old primary %s (pid %d)", r.p.addr, r.p.pid)
}

func (r *run) restart() {
	if r.restarted {
		return
	}
	r.restarted = true
	pid, err := r.p.restart()
	if err != nil {
		r.res.Warnings = append(r.res.Warnings, err.Error()+"; start it yourself so "+r.v.keeper+" makes it a replica")
		return
	}
	r.res.Outputs["old_primary_pid"] = fmt.Sprint(pid)
	r.env.Logf("drill: restarted the old primary: %s %s (pid %d)", r.p.exe, r.p.config, pid)
}

func orNone(s string) string {
	if s == "" {
		return "no events"
	}
	return s
}
