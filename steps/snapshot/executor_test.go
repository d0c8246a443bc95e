package snapshot

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/replication"
	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/zone"
	"github.com/cutover/cutover/runbook"
)

func testEnv(t *testing.T, src runbook.Endpoint, aws runbook.AWS) *runbook.Env {
	dir := t.TempDir()
	cfg := &runbook.Config{Dir: dir, Journal: filepath.Join(dir, "cutover.journal"), Source: src, AWS: aws}
	st := runbook.NewState(runbook.New(), src.Kind, "standalone")
	return &runbook.Env{Config: cfg, State: &st, Operator: "alice", Log: t.Logf}
}

func record(env *runbook.Env, res runbook.Result) {
	env.State.Facts.Record(StepID, res.Outputs)
}

func TestSelfManagedSnapshot(t *testing.T) {
	t.Parallel()
	r := labtest.Redis(t, labtest.WithPassword("src-Secret-1"))
	labtest.Fill(t, r, 2000)
	env := testEnv(t, runbook.Endpoint{Kind: "redis", URL: "redis://" + r.Addr(), Secret: runbook.Secret{Value: r.Password}}, runbook.AWS{})
	e := &Executor{}
	p, err := e.Plan(context.Background(), env)
	if err != nil || p.Resource != r.Addr() || strings.Contains(strings.Join(p.Calls, " "), r.Password) {
		t.Fatalf("plan %+v, %v", p, err)
	}
	var last runbook.Progress
	res, err := e.Run(context.Background(), env, func(p runbook.Progress) { last = p })
	if err != nil || !res.OK {
		t.Fatalf("run: %+v, %v", res, err)
	}
	file := res.Outputs["file"]
	if filepath.Dir(file) != Dir(env.Config) || res.Outputs["keys"] != "2001" || last.Unit != "bytes" || last.Done != last.Total {
		t.Fatalf("outputs %v, last progress %+v", res.Outputs, last)
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot file: %v %v", st, err)
	}
	if matches, _ := filepath.Glob(filepath.Join(Dir(env.Config), "*.part")); len(matches) > 0 {
		t.Fatalf("left behind: %v", matches)
	}
	record(env, res)
	if v, err := e.Verify(context.Background(), env); err != nil || !v.OK {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	data, _ := os.ReadFile(file)
	os.WriteFile(file, data[:len(data)-20], 0o600)
	if v, err := e.Verify(context.Background(), env); err != nil || v.OK || !strings.Contains(v.Summary, "offset") {
		t.Fatalf("verify of a truncated file: %+v, %v", v, err)
	}
}

func TestSelfManagedSnapshotSourceDown(t *testing.T) {
	t.Parallel()
	r := labtest.Redis(t)
	addr := r.Addr()
	r.Stop()
	env := testEnv(t, runbook.Endpoint{Kind: "redis", URL: "redis://" + addr}, runbook.AWS{})
	_, err := (&Executor{}).Run(context.Background(), env, func(runbook.Progress) {})
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("want an error naming %s, got %v", addr, err)
	}
	if matches, _ := filepath.Glob(filepath.Join(Dir(env.Config), "*")); len(matches) > 0 {
		t.Fatalf("left behind: %v", matches)
	}
}

func stub(t *testing.T, snap func(context.Context, io.Writer) error) *awsstub.Server {
	return startStub(t, awsstub.Config{ReplicationGroupID: "lab-cache", PrimaryEndpoint: "source.lab.internal:6379", Snapshot: snap})
}

// startStub starts the stand-in for cfg's source, its snapshots taking 200ms.
func startStub(t *testing.T, cfg awsstub.Config) *awsstub.Server {
	labtest.AWSEnv(t)
	cfg.Info = func(context.Context) (string, error) { return "", nil }
	cfg.Zones = zone.NewStore()
	cfg.SnapshotDelay = 200 * time.Millisecond
	s, err := awsstub.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestElastiCacheSnapshot(t *testing.T) {
	r := labtest.Redis(t)
	labtest.Fill(t, r, 10)
	s := stub(t, func(ctx context.Context, w io.Writer) error {
		_, err := replication.Replicate(ctx, r.Addr(), "", w, nil)
		return err
	})
	env := testEnv(t, runbook.Endpoint{Kind: "elasticache", URL: "redis://source.lab.internal:6379", ReplicationGroup: "lab-cache"},
		runbook.AWS{Region: "us-east-1", Endpoint: s.URL()})
	managedSnapshot(t, env, "SnapshotName=cutover-lab-cache-20261125-1740")
}

// managedSnapshot takes an ElastiCache snapshot of lab-cache through env's
// stand-in at a fixed minute: the plan names the call (wantCall), verify
// finds nothing before, the run shows the snapshot creating, a second run in
// the same minute reuses it and verify then finds it. It returns the first
// run's result.
func managedSnapshot(t *testing.T, env *runbook.Env, wantCall string) runbook.Result {
	t.Helper()
	at := time.Date(2026, 11, 25, 17, 40, 12, 0, time.UTC)
	e := &Executor{Poll: 50 * time.Millisecond, Now: func() time.Time { return at }}
	p, err := e.Plan(context.Background(), env)
	if err != nil || p.Resource != "lab-cache" || !strings.Contains(p.Calls[0], wantCall) {
		t.Fatalf("plan %+v, %v", p, err)
	}
	if v, err := e.Verify(context.Background(), env); err != nil || v.OK {
		t.Fatalf("verify before any snapshot: %+v, %v", v, err)
	}
	var seen []string
	first, err := e.Run(context.Background(), env, func(p runbook.Progress) { seen = append(seen, p.Message) })
	if err != nil || !first.OK || first.Outputs["name"] != "cutover-lab-cache-20261125-1740" || first.Outputs["shards"] != "1" {
		t.Fatalf("run: %+v, %v", first, err)
	}
	if !strings.Contains(strings.Join(seen, "\n"), "is creating") {
		t.Fatalf("progress never showed the snapshot creating: %q", seen)
	}
	// The same minute again: the existing snapshot is reused.
	if res, err := e.Run(context.Background(), env, func(runbook.Progress) {}); err != nil || !res.OK {
		t.Fatalf("re-run: %+v, %v", res, err)
	}
	if v, err := e.Verify(context.Background(), env); err != nil || !v.OK || v.Outputs["name"] != "cutover-lab-cache-20261125-1740" {
		t.Fatalf("verify finds the newest cutover snapshot: %+v, %v", v, err)
	}
	return first
}

func TestElastiCacheSnapshotFails(t *testing.T) {
	s := stub(t, func(context.Context, io.Writer) error { return errors.New("node out of memory") })
	env := testEnv(t, runbook.Endpoint{Kind: "elasticache", URL: "redis://source.lab.internal:6379", ReplicationGroup: "lab-cache"},
		runbook.AWS{Region: "us-east-1", Endpoint: s.URL()})
	_, err := (&Executor{Poll: 50 * time.Millisecond}).Run(context.Background(), env, func(runbook.Progress) {})
	if err == nil || !strings.Contains(err.Error(), "ended in status failed") || !strings.Contains(err.Error(), "re-run migrate.snapshot") {
		t.Fatalf("want a failed-snapshot error, got %v", err)
	}
	env.Config.Source.ReplicationGroup = "no-such-group"
	_, err = (&Executor{}).Run(context.Background(), env, func(runbook.Progress) {})
	if err == nil || !strings.Contains(err.Error(), "ReplicationGroupNotFoundFault") {
		t.Fatalf("want the not-found fault, got %v", err)
	}
}

// A cluster-mode group's snapshot holds every shard; one that holds fewer
// than inventory.discover found is refused.
func TestElastiCacheSnapshotAllShards(t *testing.T) {
	r := labtest.Redis(t)
	labtest.Fill(t, r, 10)
	rdb := func(ctx context.Context, w io.Writer) error {
		_, err := replication.Replicate(ctx, r.Addr(), "", w, nil)
		return err
	}
	labtest.AWSEnv(t)
	s, err := awsstub.Start(awsstub.Config{ReplicationGroupID: "lab-cache", ConfigurationEndpoint: "clustercfg.lab.internal:6379",
		Shards: []awsstub.Shard{
			{Slots: "0-5460", Nodes: []string{"127.0.0.1:7001"}, Snapshot: rdb},
			{Slots: "5461-10922", Nodes: []string{"127.0.0.1:7002"}, Snapshot: rdb},
			{Slots: "10923-16383", Nodes: []string{"127.0.0.1:7003"}, Snapshot: rdb},
		},
		Info: func(context.Context) (string, error) { return "", nil }, Zones: zone.NewStore(), SnapshotDelay: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	env := testEnv(t, runbook.Endpoint{Kind: "elasticache", URL: "redis://clustercfg.lab.internal:6379", ReplicationGroup: "lab-cache"},
		runbook.AWS{Region: "us-east-1", Endpoint: s.URL()})
	env.State.Facts[runbook.DiscoverShards] = "3"
	e := &Executor{Poll: 50 * time.Millisecond}
	if p, err := e.Plan(context.Background(), env); err != nil || !strings.Contains(p.Summary, "one RDB for each of its 3 shards") {
		t.Fatalf("plan %+v, %v", p, err)
	}
	res, err := e.Run(context.Background(), env, func(runbook.Progress) {})
	if err != nil || !res.OK || res.Outputs["shards"] != "3" {
		t.Fatalf("run: %+v, %v", res, err)
	}

	env.State.Facts[runbook.DiscoverShards] = "4"
	e.Now = func() time.Time { return time.Now().Add(time.Hour) } // another snapshot name
	_, err = e.Run(context.Background(), env, func(runbook.Progress) {})
	if err == nil || !strings.Contains(err.Error(), "holds 3 shard(s), but replication group lab-cache has 4") {
		t.Fatalf("want a refusal of a snapshot missing a shard, got %v", err)
	}
}
