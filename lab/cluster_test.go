package lab

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/app"
	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/download"
	"github.com/cutover/cutover/steps/export"
	"github.com/cutover/cutover/steps/snapshot"
)

// The cluster lab: a target Redis Cluster at cluster_state:ok with 3
// primaries that each have a replica, an application talking cluster
// protocol through the CNAME, and the source side of the runbook run
// headless: inventory.discover reads the shards from the stand-in,
// build.cluster passes, and snapshot, export and download give one
// checksummed RDB per shard.
func TestClusterLab(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, cfg := startLab(t, Options{Keys: 2000, Cluster: true})
	if cfg.Target.Kind != "cluster" || cfg.Target.URL != "redis://"+l.TargetCluster.Primaries[0].Addr() {
		t.Fatalf("target %+v", cfg.Target)
	}

	tc := probes.Client(cfg.Target.Endpoint, "test", probes.ConfigDir(cfg.Dir))
	defer tc.Close()
	info, err := tc.ClusterInfo(ctx).Result()
	if err != nil || !strings.Contains(info, "cluster_state:ok") {
		t.Fatalf("target CLUSTER INFO: %q, %v", info, err)
	}
	slots, err := tc.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	primaries := map[string]bool{}
	for _, s := range slots {
		if len(s.Nodes) < 2 {
			t.Errorf("slots %d-%d have no replica: %+v", s.Start, s.End, s.Nodes)
		}
		primaries[s.Nodes[0].Addr] = true
	}
	if len(primaries) != 3 {
		t.Errorf("target primaries %v, want 3", primaries)
	}

	// The application reaches every shard of the source through the CNAME.
	waitApp(t, l, func(s app.Status) bool { return s.Sets > 20 && len(s.Conns) >= 3 })
	sc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: l.SourceCluster.Addrs(), Password: l.SourceCluster.Password})
	defer sc.Close()
	var keys int64
	if err := sc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		n, err := c.DBSize(ctx).Result()
		keys += n
		if n == 0 {
			t.Errorf("source primary %s holds no keys", c.Options().Addr)
		}
		return err
	}); err != nil || keys < 2000 {
		t.Fatalf("source cluster holds %d keys (%v), seeded 2000", keys, err)
	}

	// The application's acknowledged writes are on the source cluster;
	// the status lists every node.
	if w, err := l.LostWrites(ctx); err != nil || w.Server != SourceName || w.Checked == 0 || w.Lost != 0 {
		t.Errorf("lost writes %+v, %v", w, err)
	}
	if st := l.Status(); len(st.Servers) != 13 { // 12 nodes and the exporter
		t.Errorf("status lists %d servers: %+v", len(st.Servers), st.Servers)
	}

	rb := runbook.New()
	st := runbook.NewState(rb, cfg.Source.Kind, cfg.Target.Kind)
	run := func(id runbook.StepID, ex runbook.Executor) runbook.Result {
		t.Helper()
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		res, err := ex.Run(rctx, &runbook.Env{Config: cfg, State: &st, Operator: "test", Log: t.Logf}, func(runbook.Progress) {})
		if err != nil || !res.OK {
			t.Fatalf("%s: %v, %s %+v", id, err, res.Summary, res.Evidence)
		}
		st.Facts.Record(id, res.Outputs)
		return res
	}
	checks := probes.Checks()
	run(runbook.InventoryDiscover, checks[runbook.InventoryDiscover])
	if got := st.Facts[runbook.DiscoverClusterMode]; got != "enabled" {
		t.Errorf("cluster mode %q", got)
	}
	built := run(runbook.BuildCluster, checks[runbook.BuildCluster])
	if len(cfg.Target.Zones) != 6 {
		t.Errorf("target.zones %v", cfg.Target.Zones)
	}
	for _, e := range built.Evidence {
		if strings.Contains(e.Want, "host stands for") {
			t.Errorf("a node without a zone in cutover.yaml: %+v", e)
		}
	}
	snap := run(runbook.MigrateSnapshot, &snapshot.Executor{Poll: 100 * time.Millisecond})
	if st.Facts[runbook.SnapshotShards] != "3" {
		t.Fatalf("snapshot: %s (shards %q)", snap.Summary, st.Facts[runbook.SnapshotShards])
	}
	run(runbook.MigrateExport, &export.Executor{Poll: 100 * time.Millisecond})
	run(runbook.MigrateDownload, &download.Executor{})
	files, err := snapshot.Files(&runbook.Env{Config: cfg, State: &st})
	if err != nil || len(files) != 3 {
		t.Fatalf("downloaded %v, %v", files, err)
	}
	var total int64
	for _, f := range files {
		sum, err := snapshot.VerifyFile(f, time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Keys == 0 {
			t.Errorf("%s holds no keys", f)
		}
		total += sum.Keys
	}
	if total < 2000 {
		t.Errorf("the shards' files hold %d keys, the source %d", total, keys)
	}
}
