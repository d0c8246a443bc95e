package runbook

import (
	"reflect"
	"testing"
	"time"
)

// transition is one rule of Apply: from the state the prior events make,
// event e is refused with exactly wantErr, or leads to a step state that
// check accepts.
type transition struct {
	name     string
	src, tgt string // source and target kind; elasticache and sentinel when empty
	prior    []Event
	e        Event
	wantErr  string
	want     Status // the recorded status of e.Step afterwards
	check    func(t *testing.T, s State)
}

func runTransitions(t *testing.T, cases []transition) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, tgt := c.src, c.tgt
			if src == "" {
				src = "elasticache"
			}
			if tgt == "" {
				tgt = "sentinel"
			}
			before := fold(t, src, tgt, c.prior)
			c.e.Seq, c.e.Time = len(c.prior)+1, t0.Add(-1)
			after, err := Apply(before, c.e)
			if c.wantErr != "" {
				if err == nil || err.Error() != c.wantErr {
					t.Fatalf("got error %v\nwant %s", err, c.wantErr)
				}
				if !reflect.DeepEqual(after, before) {
					t.Fatal("a refused event changed the state")
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if got := after.Get(c.e.Step).Status; got != c.want {
				t.Fatalf("status %s, want %s", got, c.want)
			}
			if after.Seq != c.e.Seq {
				t.Fatalf("state seq %d, want %d", after.Seq, c.e.Seq)
			}
			if c.check != nil {
				c.check(t, after)
			}
		})
	}
}

func TestApplyStart(t *testing.T) {
	gated := startGated("build.dns", "cache.example.internal", "cache.example.internal", "")
	runTransitions(t, []transition{
		{name: "check with no needs", e: start("build.reachable"), want: Running, check: func(t *testing.T, s State) {
			if st := s.Get("build.reachable"); st.Runs != 1 || st.By != op || !st.At.Equal(t0.Add(-1)) {
				t.Fatalf("got %+v", st)
			}
		}},
		{name: "check whose need is ready but not run", e: start("build.persistence"),
			wantErr: "build.persistence needs build.reachable, which is ready but not run yet"},
		{name: "check whose need failed", prior: []Event{start("build.reachable"), fail("build.reachable", "refused")}, e: start("build.persistence"),
			wantErr: "build.persistence needs build.reachable, which is failed"},
		{name: "check whose need is running", prior: []Event{start("build.reachable")}, e: start("build.memory"),
			wantErr: "build.memory needs build.reachable, which is running"},
		{name: "action whose need is pending", prior: join([]Event{decide("migrate.strategy", "rdb", "window accepted")}, ranGated("migrate.snapshot", "")),
			e: startGated("migrate.load", "target", "target", "bob"), wantErr: "migrate.load needs migrate.download, which is pending"},
		{name: "check already running", prior: []Event{start("build.reachable")}, e: start("build.reachable"),
			wantErr: "build.reachable is already running"},
		{name: "check runs again after passing", prior: reachable, e: start("build.reachable"), want: Running, check: func(t *testing.T, s State) {
			if st := s.Get("build.reachable"); st.Runs != 2 || st.Result == nil || st.Result.Summary != "build.reachable passed" {
				t.Fatalf("a re-run should count and keep the last result: %+v", st)
			}
		}},
		{name: "check runs again after failing", prior: []Event{start("build.reachable"), fail("build.reachable", "x")}, e: start("build.reachable"), want: Running},
		{name: "check runs again after an interruption", prior: []Event{start("build.reachable"), interrupt("build.reachable")}, e: start("build.reachable"), want: Running},
		{name: "decision is not run", prior: discovered, e: start("inventory.auth"),
			wantErr: "inventory.auth is a decision step: it is not run"},
		{name: "manual step is not run", prior: discovered, e: start("inventory.upgrades"),
			wantErr: "inventory.upgrades is a manual step: it is not run"},
		{name: "action already running", prior: []Event{gated}, e: gated, wantErr: "build.dns is already running"},
		{name: "done action needs a re-run event", prior: dnsDone, e: gated,
			wantErr: "build.dns is done; it changes things, so re-running it takes an explicit re-run with a reason"},
		{name: "failed action needs a re-run event", prior: []Event{gated, fail("build.dns", "throttled")}, e: gated,
			wantErr: "build.dns is failed; it changes things, so re-running it takes an explicit re-run with a reason"},
		{name: "interrupted action needs a re-run event", prior: []Event{gated, interrupt("build.dns")}, e: gated,
			wantErr: "build.dns is interrupted; it changes things, so re-running it takes an explicit re-run with a reason"},
		{name: "skipped action needs a re-run event", prior: []Event{skip("build.dns", "no DNS")}, e: gated,
			wantErr: "build.dns is skipped; it changes things, so re-running it takes an explicit re-run with a reason"},
		{name: "re-run action starts again", prior: join(dnsDone, []Event{rerun("build.dns", "TTL changed back")}), e: gated, want: Running, check: func(t *testing.T, s State) {
			if st := s.Get("build.dns"); st.Runs != 2 {
				t.Fatalf("runs %d, want 2", st.Runs)
			}
		}},
		{name: "gate without a plan", e: start("build.dns"),
			wantErr: "build.dns is gated: it starts only with the plan the operator confirmed"},
		{name: "gate with a plan naming nothing", e: startGated("build.dns", "", "", ""),
			wantErr: "build.dns is gated but its plan names no resource to confirm; the step's executor must set Plan.Resource"},
		{name: "confirmation differs from the resource", e: startGated("build.dns", "cache.example.internal", "cache.example", ""),
			wantErr: `build.dns: confirmation "cache.example" does not match "cache.example.internal"`},
		{name: "confirmation matches", e: gated, want: Running, check: func(t *testing.T, s State) {
			if p := s.Get("build.dns").Plan; p == nil || p.Resource != "cache.example.internal" {
				t.Fatalf("plan not recorded: %+v", p)
			}
		}},
		{name: "two-person without a second", prior: cnameReady, e: startGated("cutover.cname", "cache.example.internal", "cache.example.internal", ""),
			wantErr: "cutover.cname needs a second operator to confirm"},
		{name: "two-person with the same operator twice", prior: cnameReady, e: startGated("cutover.cname", "cache.example.internal", "cache.example.internal", op),
			wantErr: "cutover.cname: the second operator must be someone other than alice"},
		{name: "two-person with the same operator in other case", prior: cnameReady, e: startGated("cutover.cname", "cache.example.internal", "cache.example.internal", " Alice"),
			wantErr: "cutover.cname: the second operator must be someone other than alice"},
		{name: "two-person still checks the confirmation", prior: cnameReady, e: startGated("cutover.cname", "cache.example.internal", "cache", "bob"),
			wantErr: `cutover.cname: confirmation "cache" does not match "cache.example.internal"`},
		{name: "two-person with a second operator", prior: cnameReady, e: startGated("cutover.cname", "cache.example.internal", "cache.example.internal", "bob"), want: Running, check: func(t *testing.T, s State) {
			if st := s.Get("cutover.cname"); st.By != op || st.Second != "bob" {
				t.Fatalf("got by %q second %q", st.By, st.Second)
			}
		}},
		{name: "ungated action needs no confirmation", prior: join([]Event{decide("migrate.strategy", "rdb", "window accepted")}, ranGated("migrate.snapshot", ""), ranGated("migrate.export", "")),
			e: startGated("migrate.download", "s3://bucket/snap.rdb", "", ""), want: Running},
		{name: "step for another target kind", tgt: "standalone", prior: reachable, e: start("build.sentinel"),
			wantErr: "build.sentinel does not apply: only for target kind sentinel; this one is standalone"},
		{name: "step waiting for a decision", e: startGated("migrate.snapshot", "snap", "snap", ""),
			wantErr: "migrate.snapshot does not apply: waits for the decision migrate.strategy"},
		{name: "step ruled out by a decision", prior: []Event{decide("migrate.strategy", "dualwrite", "no window")}, e: startGated("migrate.snapshot", "snap", "snap", ""),
			wantErr: "migrate.snapshot does not apply: migrate.strategy chose dualwrite"},
		{name: "rollback before the swap", e: startGated("rollback.cname", "cache.example.internal", "cache.example.internal", "bob"),
			wantErr: "rollback.cname is available once cutover.cname has run"},
		{name: "rollback after a failed swap", prior: join(cnameReady, []Event{startGated("cutover.cname", "c", "c", "bob"), fail("cutover.cname", "INSYNC timeout")}),
			e: startGated("rollback.cname", "c", "c", "bob"), want: Running},
	})
}

func TestApplyOutcomes(t *testing.T) {
	running := []Event{start("build.reachable")}
	runTransitions(t, []transition{
		{name: "progress while running", prior: running, e: progress("build.reachable", 10, 40), want: Running, check: func(t *testing.T, s State) {
			if p := s.Get("build.reachable").Progress; p == nil || p.Done != 10 || p.Total != 40 {
				t.Fatalf("progress %+v", p)
			}
		}},
		{name: "progress when not running", e: progress("build.reachable", 1, 2),
			wantErr: "build.reachable is pending, not running: no progress to report"},
		{name: "succeed", prior: append(running, progress("build.reachable", 1, 2)), e: succeed("build.reachable", nil), want: Done, check: func(t *testing.T, s State) {
			st := s.Get("build.reachable")
			if st.Result == nil || !st.Result.OK || st.Progress != nil || st.Error != "" {
				t.Fatalf("got %+v", st)
			}
		}},
		{name: "succeed when pending", e: succeed("build.reachable", nil),
			wantErr: "build.reachable is pending, not running: it cannot succeed"},
		{name: "succeed twice", prior: reachable, e: succeed("build.reachable", nil),
			wantErr: "build.reachable is done, not running: it cannot succeed"},
		{name: "fail", prior: running, e: fail("build.reachable", "NOAUTH"), want: Failed, check: func(t *testing.T, s State) {
			if st := s.Get("build.reachable"); st.Error != "NOAUTH" || st.Result == nil {
				t.Fatalf("got %+v", st)
			}
		}},
		{name: "fail when pending", e: fail("build.reachable", "x"),
			wantErr: "build.reachable is pending, not running: it cannot fail"},
		{name: "success after a failure clears the error", prior: append(running, fail("build.reachable", "x"), start("build.reachable")),
			e: succeed("build.reachable", nil), want: Done, check: func(t *testing.T, s State) {
				if s.Get("build.reachable").Error != "" {
					t.Fatal("error kept after success")
				}
			}},
		{name: "interrupted while running", prior: append(running, progress("build.reachable", 1, 2)), e: interrupt("build.reachable"), want: Interrupted, check: func(t *testing.T, s State) {
			if s.Get("build.reachable").Progress != nil {
				t.Fatal("progress kept after interruption")
			}
		}},
		{name: "interrupted when pending", e: interrupt("build.reachable"),
			wantErr: "build.reachable is pending, not running: it cannot be interrupted"},
	})
}

func TestApplySkipDecideTick(t *testing.T) {
	runTransitions(t, []transition{
		{name: "skip needs a reason", e: skip("build.dns", ""), wantErr: "skipping build.dns needs a reason"},
		{name: "skip a pending step", e: skip("build.dns", "DNS is owned by another team"), want: Skipped, check: func(t *testing.T, s State) {
			if st := s.Get("build.dns"); st.Reason != "DNS is owned by another team" || st.By != op {
				t.Fatalf("got %+v", st)
			}
		}},
		{name: "skip a failed step", prior: []Event{start("build.reachable"), fail("build.reachable", "x")}, e: skip("build.reachable", "known"), want: Skipped},
		{name: "skip a running step", prior: []Event{start("build.reachable")}, e: skip("build.reachable", "x"),
			wantErr: "build.reachable is running: it cannot be skipped"},
		{name: "skip a done step", prior: reachable, e: skip("build.reachable", "x"),
			wantErr: "build.reachable is done: it cannot be skipped"},
		{name: "a skipped need no longer blocks", prior: []Event{skip("build.reachable", "checked by hand")}, e: start("build.persistence"), want: Running},

		{name: "decide a check", e: decide("build.reachable", "x", "y"), wantErr: "build.reachable is a check step, not a decision"},
		{name: "decide before its needs", e: decide("inventory.auth", "acl", "per-app users"),
			wantErr: "inventory.auth needs inventory.discover, which is ready but not run yet"},
		{name: "decide an unknown option", prior: discovered, e: decide("inventory.auth", "ldap", "x"),
			wantErr: `inventory.auth has no option "ldap"; choose one of [requirepass acl]`},
		{name: "decide without a reason", prior: discovered, e: decide("inventory.auth", "acl", ""),
			wantErr: "deciding inventory.auth needs a reason"},
		{name: "decide", prior: discovered, e: decide("inventory.auth", "acl", "per-app users"), want: Done, check: func(t *testing.T, s State) {
			if st := s.Get("inventory.auth"); st.Choice != "acl" || st.Reason != "per-app users" || st.By != op {
				t.Fatalf("got %+v", st)
			}
		}},
		{name: "change a decision", prior: append(discovered, decide("inventory.auth", "acl", "a")), e: decide("inventory.auth", "requirepass", "one app only"), want: Done, check: func(t *testing.T, s State) {
			if s.Get("inventory.auth").Choice != "requirepass" {
				t.Fatal("choice not changed")
			}
		}},
		{name: "decide a decision that does not apply", prior: []Event{start("inventory.discover"), succeed("inventory.discover", map[string]string{"global_datastore": "false"})},
			e: decide("inventory.global", "give-up", "x"), wantErr: "inventory.global does not apply: inventory.discover.global_datastore is false"},

		{name: "tick a check", e: tick("build.reachable", "x"), wantErr: "build.reachable is a check step, not a manual one"},
		{name: "tick before its needs", e: tick("inventory.upgrades", "platform team"),
			wantErr: "inventory.upgrades needs inventory.discover, which is ready but not run yet"},
		{name: "tick without a note", prior: discovered, e: tick("inventory.upgrades", ""),
			wantErr: "ticking inventory.upgrades needs a note saying what was done"},
		{name: "tick", prior: discovered, e: tick("inventory.upgrades", "platform team owns patching"), want: Done, check: func(t *testing.T, s State) {
			if st := s.Get("inventory.upgrades"); st.Note != "platform team owns patching" || st.By != op {
				t.Fatalf("got %+v", st)
			}
		}},
		{name: "tick twice", prior: append(discovered, tick("inventory.upgrades", "a")), e: tick("inventory.upgrades", "b"),
			wantErr: "inventory.upgrades is already done"},
	})
}

func TestApplyRerun(t *testing.T) {
	gated := startGated("build.dns", "cache.example.internal", "cache.example.internal", "")
	runTransitions(t, []transition{
		{name: "re-run a check", prior: reachable, e: rerun("build.reachable", "x"),
			wantErr: "build.reachable is a check step: it needs no re-run event"},
		{name: "re-run a decision", e: rerun("migrate.strategy", "x"),
			wantErr: "migrate.strategy is a decision step: it needs no re-run event"},
		{name: "re-run without a reason", prior: dnsDone, e: rerun("build.dns", ""),
			wantErr: "re-running build.dns needs a reason"},
		{name: "re-run a pending action", e: rerun("build.dns", "x"),
			wantErr: "build.dns is pending: there is nothing to re-run"},
		{name: "re-run a running action", prior: []Event{gated}, e: rerun("build.dns", "x"),
			wantErr: "build.dns is running: there is nothing to re-run"},
		{name: "re-run a done action", prior: dnsDone, e: rerun("build.dns", "TTL was raised again"), want: Pending, check: func(t *testing.T, s State) {
			st := s.Get("build.dns")
			if st.Reason != "TTL was raised again" || st.Runs != 1 || st.Result == nil {
				t.Fatalf("re-run should keep history and record why: %+v", st)
			}
			if s.Effective("build.dns") != Ready {
				t.Fatalf("effective %s, want ready", s.Effective("build.dns"))
			}
		}},
		{name: "re-run an interrupted action", prior: []Event{gated, interrupt("build.dns")}, e: rerun("build.dns", "verified nothing changed"), want: Pending},
		{name: "re-run a failed action", prior: []Event{gated, fail("build.dns", "x")}, e: rerun("build.dns", "fixed IAM"), want: Pending},
	})
}

func TestApplyRefusesMalformedEvents(t *testing.T) {
	runTransitions(t, []transition{
		{name: "unknown step", e: start("build.nope"), wantErr: `no step "build.nope" in the runbook`},
		{name: "no operator", e: Event{Type: EvStart, Step: "build.reachable"}, wantErr: "build.reachable: the event names no operator"},
		{name: "unknown type", e: Event{Type: "explode", Step: "build.reachable", Operator: op}, wantErr: `build.reachable: unknown event type "explode"`},
	})
}

func TestApplyLeavesItsInputAlone(t *testing.T) {
	s := fold(t, "elasticache", "sentinel", discovered)
	before := s.clone()
	next, err := Apply(s, decide("inventory.auth", "acl", "per-app users"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, before) {
		t.Fatal("Apply changed the state it was given")
	}
	if next.Get("inventory.auth").Status != Done || s.Get("inventory.auth").Status != Pending {
		t.Fatal("the new state and the old one share their maps")
	}
}

func TestDecommissionWaitsSevenDaysAfterTheSwap(t *testing.T) {
	swapAt := t0.Add(time.Hour)
	plan := &Plan{Summary: "swap", Resource: "cache.example"}
	var evs []Event
	skip := func(ids ...StepID) {
		for _, id := range ids {
			evs = append(evs, Event{Type: EvSkip, Step: id, Operator: "alice", Reason: "test", Time: t0})
		}
	}
	skip("build.dns", "migrate.parity", "migrate.dualwrite", "migrate.live", "cutover.gonogo")
	evs = append(evs,
		Event{Type: EvStart, Step: "cutover.cname", Operator: "alice", Second: "bob", Plan: plan, Confirmed: "cache.example", Time: swapAt},
		Event{Type: EvSucceed, Step: "cutover.cname", Operator: "alice", Result: &Result{OK: true}, Time: swapAt})
	skip("verify.connect", "verify.data", "verify.performance", "verify.failover", "verify.backup", "cutover.stragglers")
	s := fold(t, "elasticache", "sentinel", evs)
	swapAt = s.Get("cutover.cname").At // fold stamps its own times
	until, ok := s.WaitUntil("verify.decommission")
	if !ok || !until.Equal(swapAt.Add(7*24*time.Hour)) {
		t.Fatalf("WaitUntil = %v %v, want %v", until, ok, swapAt.Add(7*24*time.Hour))
	}
	tick := Event{Type: EvTick, Step: "verify.decommission", Operator: "alice", Note: "deleted lab-cache", Time: swapAt.Add(6 * 24 * time.Hour)}
	_, err := Apply(s, tick)
	want := "verify.decommission must wait until " + until.UTC().Format("2006-01-02 15:04 MST") + " (7 days after cutover.cname)"
	if err == nil || err.Error() != want {
		t.Fatalf("early tick: %v\nwant %s", err, want)
	}
	tick.Time = until
	if s, err = Apply(s, tick); err != nil || s.Get("verify.decommission").Status != Done {
		t.Fatalf("tick on the day: %v", err)
	}
}
