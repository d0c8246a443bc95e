package drill

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/runbook"
)

// checkFigures asserts what every successful drill must show.
func checkFigures(t *testing.T, f *fixture, mode string, res runbook.Result) {
	t.Helper()
	if !res.OK {
		t.Fatalf("%s drill failed: %s", mode, res.Summary)
	}
	if res.Outputs["new_primary"] != f.tp.Replica.Addr() || res.Outputs["old_primary"] != f.tp.Primary.Addr() {
		t.Fatalf("new primary %s, old %s; want %s promoted over %s", res.Outputs["new_primary"], res.Outputs["old_primary"], f.tp.Replica.Addr(), f.tp.Primary.Addr())
	}
	for _, ev := range []string{"+try-failover", "+elected-leader", "+selected-slave", "+promoted-slave", "+switch-master"} {
		if !strings.Contains(res.Outputs["events"], ev) {
			t.Errorf("event chain %q lacks %s", res.Outputs["events"], ev)
		}
	}
	if outInt(t, res, "promotion_ms") <= 0 {
		t.Errorf("figures %v: no promotion time", res.Outputs)
	}
	// A dead or frozen primary fails the client's writes until it follows
	// the promotion; an asked-for failover may not fail any.
	if mode != "failover" && (outInt(t, res, "first_write_ms") <= 0 || outInt(t, res, "outage_ms") <= 0 || outInt(t, res, "failed_writes") == 0) {
		t.Errorf("figures %v: first write, outage and failed writes must be positive", res.Outputs)
	}
	checkAfter(t, f, res, f.tp.Primary.Addr(), f.tp.Replica.Addr())
}

// checkAfter asserts the canary's figures and the state a drill leaves:
// the old primary a replica of the new one, no canary key left.
func checkAfter(t *testing.T, f *fixture, res runbook.Result, old, nu string) {
	t.Helper()
	if acked := outInt(t, res, "acked_writes"); acked < 10 || outInt(t, res, "acked_lost") > acked {
		t.Errorf("acked %d, lost %s", acked, res.Outputs["acked_lost"])
	}
	if r, m := role(t, old, f.pw); r != "slave" || m != nu {
		t.Errorf("old primary: role %s of %s, want a replica of %s", r, m, nu)
	}
	if n := canaryKeys(t, nu, f.pw); n != 0 {
		t.Errorf("%d canary keys left on the new primary", n)
	}
}

func TestDrillKill(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res, _, err := f.drill(t, "kill")
	if err != nil {
		t.Fatal(err)
	}
	checkFigures(t, f, "kill", res)
	detection := outInt(t, res, "detection_ms")
	if detection < int(f.tp.DownAfter.Milliseconds())-100 || detection > outInt(t, res, "promotion_ms") {
		t.Errorf("detection %d ms: want about down-after (%s), before the promotion", detection, f.tp.DownAfter)
	}
	if res.Outputs["old_primary_pid"] == "" {
		t.Errorf("the killed local primary was not restarted: %v", res.Warnings)
	}
}

func TestDrillFreeze(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res, _, err := f.drill(t, "freeze")
	if err != nil {
		t.Fatal(err)
	}
	checkFigures(t, f, "freeze", res)
	if stopped(f.tp.Primary.Pid()) {
		t.Fatal("the old primary is still frozen")
	}
	if outInt(t, res, "detection_ms") <= 0 {
		t.Errorf("no detection time: %v", res.Outputs)
	}
}

func TestDrillFailoverWarnsAboutDNS(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res, _, err := f.drill(t, "failover")
	if err != nil {
		t.Fatal(err)
	}
	checkFigures(t, f, "failover", res)
	// dns.record still leads to the old primary, now a replica.
	if res.Outputs["dns_points_at_replica"] != "true" || !hasWarning(res.Warnings, "READONLY") || !hasWarning(res.Warnings, "re-run of cutover.cname") {
		t.Errorf("no warning that %s leads to a replica: %v %q", f.cfg.DNS.Record, res.Outputs, res.Warnings)
	}
}

func TestDrillNoPromotableReplicaFailsAndThaws(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// replica-priority 0: Sentinel never promotes it. The sentinels learn it
	// within 10 s, so either the preflight refuses or they abort the failover.
	c := client(f.tp.Replica.Addr(), f.tp.Password)
	must(t, c.ConfigSet(context.Background(), "replica-priority", "0").Err())
	c.Close()
	res, took, err := f.drill(t, "freeze")
	msg := res.Summary
	if err != nil {
		msg = err.Error()
	}
	if err == nil && res.OK || !strings.Contains(msg, "no replica can be promoted") {
		t.Fatalf("err %v, result %+v: want a clear failure", err, res)
	}
	if took > 25*time.Second {
		t.Errorf("the failed drill took %s", took)
	}
	if stopped(f.tp.Primary.Pid()) {
		t.Fatal("the primary was left frozen")
	}
	if r, _ := role(t, f.tp.Primary.Addr(), f.tp.Password); r != "master" {
		t.Errorf("the primary answers as %s after the failed drill", r)
	}
}

func TestDrillRefusesWithReplicaDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.tp.Replica.Stop()
	// Wait until the sentinels flag it down: that is what the preflight reads.
	deadline := time.Now().Add(10 * time.Second)
	for {
		tp, err := readTopology(context.Background(), f.cfg.Target)
		must(t, err)
		if _, err := tp.candidates(); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sentinels never flagged the stopped replica")
		}
		time.Sleep(100 * time.Millisecond)
	}
	plan, err := (&Drill{}).Plan(context.Background(), f.env("kill"))
	if err != nil || !hasWarning(plan.Warnings, "the run will refuse") {
		t.Fatalf("plan: %v %q", err, plan.Warnings)
	}
	_, _, err = f.drill(t, "kill")
	if err == nil || !strings.Contains(err.Error(), "no replica can be promoted") || !strings.Contains(err.Error(), f.tp.Replica.Addr()) {
		t.Fatalf("err %v: want a refusal naming the replica", err)
	}
	if r, _ := role(t, f.tp.Primary.Addr(), f.tp.Password); r != "master" {
		t.Errorf("the primary answers as %s after the refusal", r)
	}
}

func TestDrillPlan(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for mode, want := range map[string]string{"kill": "SIGKILL process", "freeze": "SIGSTOP process", "failover": "SENTINEL FAILOVER " + f.tp.Master} {
		plan, err := (&Drill{}).Plan(context.Background(), f.env(mode))
		if err != nil {
			t.Fatal(err)
		}
		if plan.Resource != f.tp.Primary.Addr() || !strings.Contains(strings.Join(plan.Calls, "\n"), want) {
			t.Errorf("%s plan: resource %q, calls %q", mode, plan.Resource, plan.Calls)
		}
	}
	if _, err := (&Drill{}).Plan(context.Background(), f.env("explode")); err == nil || !strings.Contains(err.Error(), "mode=\"explode\"") {
		t.Errorf("bad mode: %v", err)
	}
	if v, err := (&Drill{}).Verify(context.Background(), f.env("kill")); err != nil || !v.OK {
		t.Errorf("verify: %v %+v", err, v)
	}
}

func hasWarning(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}
