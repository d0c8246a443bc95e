package runbook

import (
	"maps"
	"slices"
	"testing"
)

func TestApplies(t *testing.T) {
	discoveredWith := func(global string) []Event {
		return []Event{start("inventory.discover"), succeed("inventory.discover", map[string]string{"global_datastore": global})}
	}
	strategy := func(c string) []Event { return []Event{decide("migrate.strategy", c, "because")} }
	cases := []struct {
		name      string
		src, tgt  string
		prior     []Event
		step      StepID
		want      Status // effective status
		wantKnown bool
		wantWhy   string
	}{
		{"sentinel check on a standalone target", "redis", "standalone", reachable, "build.sentinel", NotApplied, true, "only for target kind sentinel; this one is standalone"},
		{"sentinel check on a sentinel target", "redis", "sentinel", reachable, "build.sentinel", Ready, true, ""},
		{"cluster check on a sentinel target", "redis", "sentinel", nil, "build.cluster", NotApplied, true, "only for target kind cluster; this one is sentinel"},
		{"cluster check waits for its needs", "redis", "cluster", nil, "build.cluster", Pending, true, ""},
		{"snapshot before the strategy is chosen", "elasticache", "sentinel", nil, "migrate.snapshot", Pending, false, "waits for the decision migrate.strategy"},
		{"snapshot under dual write", "elasticache", "sentinel", strategy("dualwrite"), "migrate.snapshot", NotApplied, true, "migrate.strategy chose dualwrite"},
		{"snapshot when the strategy was skipped", "elasticache", "sentinel", []Event{skip("migrate.strategy", "cache is rebuilt")}, "migrate.snapshot", NotApplied, true, "migrate.strategy was skipped"},
		{"snapshot under rdb", "elasticache", "sentinel", strategy("rdb"), "migrate.snapshot", Ready, true, ""},
		{"S3 export from a self-managed source", "redis", "sentinel", strategy("rdb"), "migrate.export", NotApplied, true, "only for source kind elasticache/elasticache-serverless; this one is redis"},
		{"S3 export from ElastiCache waits for the snapshot", "elasticache", "sentinel", strategy("rdb"), "migrate.export", Pending, true, ""},
		{"dual-write check under rdb", "elasticache", "sentinel", strategy("rdb"), "migrate.dualwrite", NotApplied, true, "migrate.strategy chose rdb"},
		{"global datastore before discovery", "elasticache", "sentinel", nil, "inventory.global", Pending, false, "waits for inventory.discover.global_datastore"},
		{"no global datastore found", "elasticache", "sentinel", discoveredWith("false"), "inventory.global", NotApplied, true, "inventory.discover.global_datastore is false"},
		{"a global datastore found", "elasticache", "sentinel", discoveredWith("true"), "inventory.global", Ready, true, ""},
		{"ACL check with requirepass", "elasticache", "sentinel", append(discovered, decide("inventory.auth", "requirepass", "one app")), "build.acl", NotApplied, true, "inventory.auth chose requirepass"},
		{"ACL check with ACL users", "elasticache", "sentinel", join(discovered, reachable, []Event{decide("inventory.auth", "acl", "per app")}), "build.acl", Ready, true, ""},
		{"TLS check in plaintext", "elasticache", "sentinel", append(discovered, decide("inventory.tls", "plaintext", "private network")), "build.tls", NotApplied, true, "inventory.tls chose plaintext"},
		{"backup check with no backups", "elasticache", "sentinel", append(discovered, decide("inventory.backup", "none", "rebuildable")), "build.backup", NotApplied, true, "inventory.backup chose none"},
		{"failover drill on a standalone target", "elasticache", "standalone", nil, "verify.failover", NotApplied, true, "only for target kind sentinel/cluster; this one is standalone"},
		{"a running step that stopped applying stays running", "elasticache", "sentinel",
			join(discovered, reachable, []Event{decide("inventory.auth", "acl", "a"), start("build.acl"), decide("inventory.auth", "requirepass", "b")}),
			"build.acl", Running, true, "inventory.auth chose requirepass"},
		{"interrupted shows as such", "elasticache", "sentinel", []Event{start("build.reachable"), interrupt("build.reachable")}, "build.reachable", Interrupted, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := fold(t, c.src, c.tgt, c.prior)
			applies, known, why := s.Applies(c.step)
			if applies != (c.wantWhy == "") || known != c.wantKnown || why != c.wantWhy {
				t.Fatalf("Applies = %v, %v, %q; want %v, %v, %q", applies, known, why, c.wantWhy == "", c.wantKnown, c.wantWhy)
			}
			if got := s.Effective(c.step); got != c.want {
				t.Fatalf("effective %s, want %s", got, c.want)
			}
		})
	}
}

func TestBlocker(t *testing.T) {
	rdbDone := join([]Event{decide("migrate.strategy", "rdb", "window")}, ranGated("migrate.snapshot", ""), reachable, ran("build.version"))
	cases := []struct {
		name     string
		src, tgt string
		prior    []Event
		step     StepID
		want     string
	}{
		{"no needs", "elasticache", "sentinel", nil, "build.reachable", ""},
		{"need ready but not run", "elasticache", "sentinel", nil, "build.memory", "build.memory needs build.reachable, which is ready but not run yet"},
		{"not applicable", "elasticache", "standalone", nil, "build.sentinel", "build.sentinel does not apply: only for target kind sentinel; this one is standalone"},
		{"needs that do not apply are settled", "redis", "sentinel", rdbDone, "migrate.load", ""},
		{"the same needs from ElastiCache are not", "elasticache", "sentinel", rdbDone, "migrate.load", "migrate.load needs migrate.download, which is pending"},
		{"cutover under rdb waits for parity", "elasticache", "sentinel", append(dnsDone, decide("migrate.strategy", "rdb", "w")), "cutover.cname", "cutover.cname needs migrate.parity, which is pending"},
		{"cutover under dual write skips parity", "elasticache", "sentinel", cnameReady, "cutover.cname", ""},
		{"decommission on standalone needs no drill", "elasticache", "standalone", nil, "verify.decommission", "verify.decommission needs verify.connect, which is pending"},
		{"rollback before the swap", "elasticache", "sentinel", cnameReady, "rollback.cname", "rollback.cname is available once cutover.cname has run"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := fold(t, c.src, c.tgt, c.prior)
			if got := s.Blocker(c.step); got != c.want {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestRollbackOnlyOnceTheSwapHasRun(t *testing.T) {
	s := fold(t, "elasticache", "sentinel", cnameReady)
	if got := s.Effective("rollback.cname"); got != Pending {
		t.Fatalf("before the swap rollback is %s, want pending", got)
	}
	for _, e := range []Event{startGated("cutover.cname", "c", "c", "bob"), fail("cutover.cname", "INSYNC timeout")} {
		var err error
		if s, err = Apply(s, e); err != nil {
			t.Fatal(err)
		}
		if got := s.Effective("rollback.cname"); got != Ready {
			t.Fatalf("after %s of the swap rollback is %s, want ready", e.Type, got)
		}
	}
}

func TestFactsComeFromSucceededResults(t *testing.T) {
	failed := fail("inventory.discover", "throttled")
	failed.Result.Outputs = map[string]string{"global_datastore": "false"}
	s := fold(t, "elasticache", "sentinel", []Event{
		start("inventory.discover"), succeed("inventory.discover", map[string]string{"global_datastore": "true", "engine": "7.0.7"}),
		start("inventory.discover"), failed,
	})
	want := Facts{DiscoverGlobalDatastore: "true", DiscoverEngine: "7.0.7"}
	if !maps.Equal(s.Facts, want) {
		t.Fatalf("facts %v, want %v (a failed run must not change facts)", s.Facts, want)
	}
	s = fold(t, "elasticache", "sentinel", []Event{
		start("inventory.discover"), succeed("inventory.discover", map[string]string{"global_datastore": "true"}),
		start("inventory.discover"), succeed("inventory.discover", map[string]string{"global_datastore": "false"}),
	})
	if s.Facts[DiscoverGlobalDatastore] != "false" {
		t.Fatalf("a later success should overwrite the fact: %v", s.Facts)
	}
	if s.Effective("inventory.global") != NotApplied {
		t.Fatalf("inventory.global is %s after the fact changed, want n/a", s.Effective("inventory.global"))
	}
}

func TestGlyphsAreDistinct(t *testing.T) {
	seen := map[string]Status{}
	for _, st := range []Status{Pending, Ready, Running, Done, Failed, Skipped, Interrupted, NotApplied} {
		g := Glyph(st)
		if prev, dup := seen[g]; dup || g == "" {
			t.Fatalf("%s and %s share the glyph %q: colour would be the only signal", st, prev, g)
		}
		seen[g] = st
	}
}

// The definition must be internally consistent: every reference names a
// real step, decisions offer the choices others depend on.
func TestDefinitionIsConsistent(t *testing.T) {
	rb := New()
	phases := map[string]bool{}
	for _, p := range Phases {
		phases[p.ID] = true
	}
	pos := map[StepID]int{}
	for i, s := range rb.Steps {
		if _, dup := pos[s.ID]; dup {
			t.Fatalf("step %s is defined twice", s.ID)
		}
		pos[s.ID] = i
		if !phases[s.Phase] || s.Title == "" || s.About == "" {
			t.Errorf("%s: phase %q, title %q, about %q", s.ID, s.Phase, s.Title, s.About)
		}
		if (s.Kind == Decision) != (len(s.Options) >= 2) {
			t.Errorf("%s: a %s step with %d options", s.ID, s.Kind, len(s.Options))
		}
		if s.Gate != "" && s.Kind != Action {
			t.Errorf("%s: a %s step with a gate", s.ID, s.Kind)
		}
	}
	for _, s := range rb.Steps {
		for _, n := range append(slices.Clone(s.Needs), s.AfterRun...) {
			if i, ok := pos[n]; !ok || i >= pos[s.ID] {
				t.Errorf("%s refers to %s, which is not an earlier step", s.ID, n)
			}
		}
		if d := s.When.Decision; d != "" {
			ds := rb.Step(d)
			if ds == nil || ds.Kind != Decision {
				t.Fatalf("%s waits for %s, which is not a decision", s.ID, d)
			}
			for _, c := range s.When.Choices {
				if !slices.ContainsFunc(ds.Options, func(o Option) bool { return o.ID == c }) {
					t.Errorf("%s applies when %s chose %s, which it does not offer", s.ID, d, c)
				}
			}
		}
	}
}

func TestUnattached(t *testing.T) {
	rb := New()
	all := rb.Unattached()
	if len(all) == 0 || !slices.Contains(all, BuildReachable) || slices.Contains(all, MigrateStrategy) || slices.Contains(all, CutoverRestart) {
		t.Fatalf("unattached %v: want every check and action, no decision or manual step", all)
	}
	if err := rb.Attach(map[StepID]Executor{BuildReachable: &fakeExec{}}); err != nil {
		t.Fatal(err)
	}
	if got := rb.Unattached(); slices.Contains(got, BuildReachable) || len(got) != len(all)-1 {
		t.Fatalf("after attaching build.reachable: %v", got)
	}
}

func TestAttach(t *testing.T) {
	rb := New()
	if err := rb.Attach(map[StepID]Executor{"build.nope": &fakeExec{}}); err == nil || err.Error() != `runbook: no step "build.nope" to attach an executor to` {
		t.Fatalf("got %v", err)
	}
	if err := rb.Attach(map[StepID]Executor{"migrate.strategy": &fakeExec{}}); err == nil || err.Error() != "runbook: migrate.strategy is a decision step and takes no executor" {
		t.Fatalf("got %v", err)
	}
	ex := &fakeExec{}
	if err := rb.Attach(map[StepID]Executor{"build.reachable": ex}); err != nil || rb.Step("build.reachable").Exec != ex {
		t.Fatalf("attach failed: %v", err)
	}
}

func TestDecisionsSuggestFromDiscoveredFacts(t *testing.T) {
	rb := New()
	for _, c := range []struct {
		step        StepID
		fact        Fact
		value, want string
	}{
		{"inventory.auth", DiscoverAuth, "rbac", "acl"},
		{"inventory.auth", DiscoverAuth, "token", "requirepass"},
		{"inventory.auth", DiscoverAuth, "none", "requirepass"},
		{"inventory.tls", DiscoverTransitEncryption, "true", "tls"},
		{"inventory.tls", DiscoverTransitEncryption, "false", "plaintext"},
		{"inventory.ha", DiscoverClusterMode, "enabled", "cluster"},
		{"inventory.ha", DiscoverClusterMode, "disabled", "sentinel"},
		{"inventory.backup", DiscoverSnapshotRetention, "0", "none"},
		{"inventory.backup", DiscoverSnapshotRetention, "7", "bgsave-s3"},
		{"inventory.backup", Fact{InventoryDiscover, "unrelated"}, "x", ""},
		{"inventory.tls", DiscoverTransitEncryption, "maybe", ""},
	} {
		got, why := rb.Step(c.step).Suggest(Facts{c.fact: c.value})
		if got != c.want || (got != "" && why == "") {
			t.Errorf("%s with %s=%s: suggested %q (%q), want %q", c.step, c.fact, c.value, got, why, c.want)
		}
		if got != "" && !slices.ContainsFunc(rb.Step(c.step).Options, func(o Option) bool { return o.ID == got }) {
			t.Errorf("%s suggests %q, which is not one of its options", c.step, got)
		}
	}
}

func TestRunOptsFollowTheStrategy(t *testing.T) {
	rb := New()
	s := NewState(rb, "redis", "sentinel")
	if got := s.RunOpts("cutover.cname"); len(got) != 0 {
		t.Fatalf("before the strategy is decided: %v", got)
	}
	s.Steps["migrate.strategy"] = StepState{Status: Done, Choice: "live"}
	if got := s.RunOpts("cutover.cname"); len(got) != 1 || got[0].Name != "pause" {
		t.Fatalf("on the live strategy: %v", got)
	}
	if got := s.RunOpts("verify.failover"); len(got) != 1 {
		t.Fatalf("a knob without When: %v", got)
	}
}
