package dnsswap

import (
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/runbook"
)

func TestLowerTTLSwapAndRollback(t *testing.T) {
	f := newFixture(t)
	ex := Executors()

	// build.dns: TTL 300 -> 30, still the source.
	res, _, err := f.run(t, ex["build.dns"])
	if err != nil || !res.OK {
		t.Fatalf("build.dns: %v %+v", err, res)
	}
	if r := f.cname(t); r.TTL != 30 || r.Values[0] != srcName+"." {
		t.Fatalf("after build.dns the record is %+v, want %s TTL 30", r, srcName)
	}
	if res.Outputs["old_ttl"] != "300" || res.Outputs["ttl"] != "30" {
		t.Fatalf("outputs %v", res.Outputs)
	}
	safe, err := time.Parse(time.RFC3339, res.Outputs["safe_at"])
	if err != nil || time.Until(safe) < 290*time.Second || time.Until(safe) > 301*time.Second {
		t.Fatalf("safe_at %q is not about 300 s from now (%v)", res.Outputs["safe_at"], err)
	}
	f.record("build.dns", res)

	// The swap's plan warns that the old TTL has not elapsed.
	plan, err := ex["cutover.cname"].Plan(t.Context(), f.env())
	if err != nil {
		t.Fatal(err)
	}
	if plan.Resource != record || !hasWarning(plan.Warnings, "has not elapsed yet") {
		t.Fatalf("plan: resource %q warnings %q", plan.Resource, plan.Warnings)
	}

	// cutover.cname: the name now leads to the sentinel-named primary.
	res, _, err = f.run(t, ex["cutover.cname"])
	if err != nil || !res.OK {
		t.Fatalf("cutover.cname: %v %+v", err, res)
	}
	t.Logf("swap: %s %v", res.Summary, res.Evidence)
	if r := f.cname(t); r.Values[0] != tgtName+"." || r.TTL != 30 {
		t.Fatalf("after the swap the record is %+v", r)
	}
	want := runID(t, f.tp.Primary.Addr(), f.tp.Password)
	if res.Outputs["run_id"] != want || res.Outputs["previous"] != srcName || res.Outputs["change_id"] == "" {
		t.Fatalf("outputs %v, want run_id %s and previous %s", res.Outputs, want, srcName)
	}
	f.record("cutover.cname", res)
	if v, err := ex["cutover.cname"].Verify(t.Context(), f.env()); err != nil || !v.OK {
		t.Fatalf("verify after the swap: %v %+v", err, v)
	}

	// rollback.cname: back to the recorded value, proven with the source's run_id.
	res, _, err = f.run(t, ex["rollback.cname"])
	if err != nil || !res.OK {
		t.Fatalf("rollback.cname: %v %+v", err, res)
	}
	if r := f.cname(t); r.Values[0] != srcName+"." {
		t.Fatalf("after rollback the record is %+v", r)
	}
	if res.Outputs["run_id"] != runID(t, f.src.Addr(), f.src.Password) {
		t.Fatalf("rollback proved run_id %s, not the source's", res.Outputs["run_id"])
	}
	f.record("rollback.cname", res)
	if v, err := ex["rollback.cname"].Verify(t.Context(), f.env()); err != nil || !v.OK {
		t.Fatalf("verify after rollback: %v %+v", err, v)
	}
	// The swap's verify now fails: the name no longer leads to the target.
	if v, err := ex["cutover.cname"].Verify(t.Context(), f.env()); err != nil || v.OK {
		t.Fatalf("cutover.cname verify after rollback should fail: %v %+v", err, v)
	}
	for _, l := range f.logs {
		if strings.Contains(l, f.tp.Password) || strings.Contains(l, f.src.Password) {
			t.Fatalf("a log line holds a password: %q", l)
		}
	}
}

func TestSwapRefusesUnexpectedValue(t *testing.T) {
	f := newFixture(t)
	f.setRecord(t, "elsewhere.lab.internal", "A", "127.0.0.9")
	f.setRecord(t, record, "CNAME", "elsewhere.lab.internal", 30)
	plan, err := Executors()["cutover.cname"].Plan(t.Context(), f.env())
	if err != nil || !hasWarning(plan.Warnings, "will refuse") {
		t.Fatalf("plan: %v %q", err, plan.Warnings)
	}
	_, _, err = f.run(t, Executors()["cutover.cname"])
	if err == nil || !strings.Contains(err.Error(), "refusing to change "+record) || !strings.Contains(err.Error(), "elsewhere.lab.internal") {
		t.Fatalf("error %v, want a refusal naming the value found", err)
	}
	t.Logf("refusal: %v", err)
	if r := f.cname(t); r.Values[0] != "elsewhere.lab.internal." {
		t.Fatalf("the record was changed to %v", r.Values)
	}
}

func TestSwapInsyncNeverComes(t *testing.T) {
	f := newFixture(t)
	f.aws.HoldChanges(true)
	t.Cleanup(func() { f.aws.HoldChanges(false) })
	start := time.Now()
	_, progress, err := f.run(t, &Swap{Timing: Timing{Insync: 1500 * time.Millisecond, Poll: 200 * time.Millisecond}})
	if err == nil || !strings.Contains(err.Error(), "still PENDING after 1.5s") {
		t.Fatalf("error %v, want a timeout saying the change is still PENDING", err)
	}
	t.Logf("timeout: %v", err)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the timeout took %s", d)
	}
	if len(progress) < 3 || !strings.Contains(progress[0].Message, "PENDING") {
		t.Fatalf("progress %+v, want the wait reported", progress)
	}
}

func TestSwapProofFailsWhenNameLeadsElsewhere(t *testing.T) {
	f := newFixture(t)
	// target.lab.internal points at the replica, not at the primary the
	// sentinels name: the run_id proof must catch it.
	f.setRecord(t, tgtName, "A", f.tp.Replica.Host)
	f.cfg.Target.URL = "redis://" + f.tp.Replica.Addr()
	res, _, err := f.run(t, &Swap{Timing: Timing{Proof: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || !strings.Contains(res.Summary, "do not reach the target") {
		t.Fatalf("result %+v, want a failed proof", res)
	}
	t.Logf("failed proof: %s", res.Summary)
}

func TestRouteErrorsAreOneLine(t *testing.T) {
	f := newFixture(t)
	f.aws.Fail("ListResourceRecordSets", awsstub.APIError{Status: 403, Code: "AccessDenied", Message: "User is not authorized to perform route53:ListResourceRecordSets\nmore"})
	_, _, err := f.run(t, Executors()["cutover.cname"])
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "AccessDenied: User is not authorized") {
		t.Fatalf("error %q", err)
	}
	f.cfg.DNS = runbook.DNS{}
	if _, err := Executors()["build.dns"].Plan(t.Context(), f.env()); err == nil || !strings.Contains(err.Error(), "dns.hosted_zone_id") {
		t.Fatalf("plan without dns config: %v", err)
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
