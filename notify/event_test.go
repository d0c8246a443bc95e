package notify

import (
	"reflect"
	"testing"
	"time"

	"github.com/cutover/cutover/runbook"
)

func TestFromEvent(t *testing.T) {
	at := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		ev      runbook.Event
		text    string
		details map[string]string
	}{
		{"start", runbook.Event{Type: runbook.EvStart, Step: runbook.MigrateLoad, Operator: "alice", Second: "bob"},
			"cutover: migrate.load started by alice with bob", map[string]string{"event": "start", "step": "migrate.load", "operator": "alice", "second": "bob"}},
		{"succeed with outputs", runbook.Event{Type: runbook.EvSucceed, Step: runbook.MigrateSnapshot, Operator: "alice",
			Result: &runbook.Result{OK: true, Summary: "snapshot taken", Outputs: map[string]string{"snapshot": "s1"}}},
			"cutover: migrate.snapshot done: snapshot taken", map[string]string{"event": "succeed", "step": "migrate.snapshot", "operator": "alice", "snapshot": "s1"}},
		{"drill result", runbook.Event{Type: runbook.EvSucceed, Step: runbook.VerifyFailover, Operator: "alice",
			Result: &runbook.Result{OK: true, Summary: "kill drill", Outputs: map[string]string{"outage_ms": "2100", "acked_lost": "0"}}},
			"cutover: verify.failover done: kill drill", map[string]string{"event": "drill", "step": "verify.failover", "operator": "alice", "outage_ms": "2100", "acked_lost": "0"}},
		{"an output cannot pass for the step", runbook.Event{Type: runbook.EvSucceed, Step: runbook.BuildDNS, Operator: "alice",
			Result: &runbook.Result{OK: true, Summary: "ok", Outputs: map[string]string{"step": "forged"}}},
			"cutover: build.dns done: ok", map[string]string{"event": "succeed", "step": "build.dns", "operator": "alice"}},
		{"fail", runbook.Event{Type: runbook.EvFail, Step: runbook.BuildReachable, Operator: "alice", Error: "connection refused"},
			"cutover: build.reachable failed: connection refused", map[string]string{"event": "fail", "step": "build.reachable", "operator": "alice", "error": "connection refused"}},
		{"skip", runbook.Event{Type: runbook.EvSkip, Step: runbook.BuildDNS, Operator: "alice", Reason: "DNS team"},
			"cutover: build.dns skip by alice: DNS team", map[string]string{"event": "skip", "step": "build.dns", "operator": "alice", "reason": "DNS team"}},
		{"interrupted", runbook.Event{Type: runbook.EvInterrupted, Step: runbook.MigrateLoad, Operator: "alice"},
			"cutover: migrate.load interrupted by alice", map[string]string{"event": "interrupted", "step": "migrate.load", "operator": "alice"}},
		{"decision", runbook.Event{Type: runbook.EvDecide, Step: runbook.MigrateStrategy, Operator: "alice", Choice: "rdb", Reason: "small"},
			"cutover: migrate.strategy: alice chose rdb: small", map[string]string{"event": "decide", "step": "migrate.strategy", "operator": "alice", "choice": "rdb", "reason": "small"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.ev.Time = at
			m, ok := FromEvent(c.ev)
			if !ok || m.Text != c.text || !m.Time.Equal(at) || !reflect.DeepEqual(m.Details, c.details) {
				t.Fatalf("got %v %+v\nwant text %q details %v", ok, m, c.text, c.details)
			}
		})
	}
	if _, ok := FromEvent(runbook.Event{Type: runbook.EvProgress, Step: runbook.MigrateLoad}); ok {
		t.Fatal("progress is announced")
	}
}
