package drill

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/runbook"
)

const clusterPW = "cluster-drill-pw"

// newClusterFixture is a 3-primary cluster with a replica each, its
// first primary the seed; a node timeout of 1 s keeps the drills short.
func newClusterFixture(t *testing.T) *fixture {
	t.Helper()
	cl := labtest.Cluster(t, 3, 1, labtest.WithPassword(clusterPW), labtest.WithConfig("cluster-node-timeout 1000"))
	// A primary restarted by the drill is not the cluster's child.
	t.Cleanup(func() {
		for _, n := range cl.Nodes() {
			servers.KillStale(n.Dir)
		}
	})
	return &fixture{cl: cl, pw: clusterPW, cfg: &runbook.Config{Target: runbook.Target{
		Endpoint: runbook.Endpoint{Kind: "cluster", URL: "redis://" + cl.Primaries[0].Addr(), Secret: runbook.Secret{Env: "TGT", Value: clusterPW}},
	}}}
}

// eventNames splits the chain output into its event names.
func eventNames(res runbook.Result) []string { return strings.Split(res.Outputs["events"], " → ") }

// checkClusterFigures asserts what every successful cluster drill shows.
func checkClusterFigures(t *testing.T, f *fixture, mode string, res runbook.Result) {
	t.Helper()
	if !res.OK {
		t.Fatalf("%s drill failed: %s", mode, res.Summary)
	}
	old, nu := res.Outputs["old_primary"], res.Outputs["new_primary"]
	if !slices.Contains(f.cl.Addrs()[:3], old) || !slices.Contains(f.cl.Addrs()[3:], nu) {
		t.Fatalf("new primary %q, old %q: want a replica promoted over a primary", nu, old)
	}
	ev := eventNames(res)
	for _, want := range []string{"promoted", "slots-moved"} {
		if !slices.Contains(ev, want) {
			t.Errorf("event chain %q lacks %s", res.Outputs["events"], want)
		}
	}
	if outInt(t, res, "promotion_ms") <= 0 {
		t.Errorf("figures %v: no promotion time", res.Outputs)
	}
	if _, ok := res.Outputs["outage_ms"]; !ok {
		t.Errorf("no client outage figure: %v", res.Outputs)
	}
	checkAfter(t, f, res, old, nu)
}

// clusterDrill runs a drill on a fresh cluster and checks what every
// successful one shows.
func clusterDrill(t *testing.T, mode string) (*fixture, runbook.Result) {
	t.Helper()
	f := newClusterFixture(t)
	res, took, err := f.drill(t, mode)
	if err != nil {
		t.Fatal(err)
	}
	if took > 20*time.Second {
		t.Errorf("the %s drill took %s", mode, took)
	}
	checkClusterFigures(t, f, mode, res)
	return f, res
}

func TestClusterDrillFailover(t *testing.T) {
	t.Parallel()
	_, res := clusterDrill(t, "failover")
	// Coordinated: the replica had every write before it took over.
	if res.Outputs["acked_lost"] != "0" {
		t.Errorf("a coordinated failover lost %s acknowledged writes", res.Outputs["acked_lost"])
	}
	if slices.Contains(eventNames(res), "fail") {
		t.Errorf("a coordinated failover flagged the primary failed: %s", res.Outputs["events"])
	}
}

func TestClusterDrillKill(t *testing.T) {
	t.Parallel()
	_, res := clusterDrill(t, "kill")
	ev := eventNames(res)
	if i, j := slices.Index(ev, "fail"), slices.Index(ev, "slots-moved"); i < 0 || j < i {
		t.Errorf("event chain %q: want fail, then slots-moved", res.Outputs["events"])
	}
	detection := outInt(t, res, "detection_ms")
	if detection < 900 || detection > outInt(t, res, "promotion_ms") {
		t.Errorf("detection %d ms: want about the node timeout (1 s), before the promotion (%s ms)", detection, res.Outputs["promotion_ms"])
	}
	if outInt(t, res, "failed_writes") == 0 || outInt(t, res, "outage_ms") <= 0 {
		t.Errorf("figures %v: a killed primary must fail some writes", res.Outputs)
	}
	if res.Outputs["old_primary_pid"] == "" {
		t.Errorf("the killed local primary was not restarted: %v", res.Warnings)
	}
}

func TestClusterDrillPlanAndVerify(t *testing.T) {
	t.Parallel()
	f := newClusterFixture(t)
	ctx := context.Background()
	for mode, want := range map[string]string{"kill": "SIGKILL process", "freeze": "SIGSTOP process", "failover": "CLUSTER FAILOVER on the replica"} {
		plan, err := (&Drill{}).Plan(ctx, f.env(mode))
		if err != nil {
			t.Fatal(err)
		}
		calls := strings.Join(plan.Calls, "\n")
		if !slices.Contains(f.cl.Addrs()[:3], plan.Resource) || !strings.Contains(calls, want) || !strings.Contains(calls, "cutover:drill:{cutover-drill") {
			t.Errorf("%s plan: resource %q, calls %q", mode, plan.Resource, plan.Calls)
		}
	}
	// shard= drills the given primary, with a hash tag in its slots.
	for _, p := range f.cl.Primaries {
		env := f.env("kill")
		env.Options["shard"] = p.Addr()
		plan, err := (&Drill{}).Plan(ctx, env)
		if err != nil || plan.Resource != p.Addr() {
			t.Errorf("shard=%s: plan on %q, err %v", p.Addr(), plan.Resource, err)
		}
	}
	env := f.env("kill")
	env.Options["shard"] = f.cl.Replicas[0].Addr()
	if _, err := (&Drill{}).Plan(ctx, env); err == nil || !strings.Contains(err.Error(), "is not a primary") {
		t.Errorf("shard= a replica: %v", err)
	}
	v, err := (&Drill{}).Verify(ctx, f.env("kill"))
	if err != nil || !v.OK {
		t.Errorf("verify: %v %+v", err, v)
	}
}

func TestClusterDrillFreeze(t *testing.T) {
	t.Parallel()
	f, res := clusterDrill(t, "freeze")
	for _, p := range f.cl.Primaries {
		if stopped(p.Pid()) {
			t.Fatalf("%s is still frozen", p.Addr())
		}
	}
	if !slices.Contains(eventNames(res), "fail") || outInt(t, res, "detection_ms") <= 0 {
		t.Errorf("no detection: %v", res.Outputs)
	}
}

func TestClusterDrillRefusesWithReplicaDown(t *testing.T) {
	t.Parallel()
	f := newClusterFixture(t)
	ctx := context.Background()
	ct, err := readCluster(ctx, f.cfg.Target, "")
	must(t, err)
	cands, err := ct.candidates()
	must(t, err)
	for _, r := range f.cl.Replicas {
		if r.Addr() == cands[0] {
			r.Stop()
		}
	}
	// Wait until the seed flags it: that is what the preflight reads.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ct, err := readCluster(ctx, f.cfg.Target, "")
		must(t, err)
		if _, err := ct.candidates(); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the seed never flagged the stopped replica")
		}
		time.Sleep(100 * time.Millisecond)
	}
	plan, err := (&Drill{}).Plan(ctx, f.env("kill"))
	if err != nil || !hasWarning(plan.Warnings, "the run will refuse") {
		t.Fatalf("plan: %v %q", err, plan.Warnings)
	}
	_, _, err = f.drill(t, "kill")
	if err == nil || !strings.Contains(err.Error(), "no replica can be promoted") || !strings.Contains(err.Error(), cands[0]) {
		t.Fatalf("err %v: want a refusal naming the replica", err)
	}
	if r, _ := role(t, ct.shard.addr, f.pw); r != "master" {
		t.Errorf("the primary answers as %s after the refusal", r)
	}
	if v, err := (&Drill{}).Verify(ctx, f.env("kill")); err != nil || v.OK || !strings.Contains(v.Summary, "no replica can be promoted") {
		t.Errorf("verify with a replica down: %v %+v", err, v)
	}
}
