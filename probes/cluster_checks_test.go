package probes

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/runbook"
)

// On a cluster target the watch counts error replies on every primary:
// CROSSSLOT from an application that used multi-key commands freely on a
// single-primary source shows up wherever its keys live.
func TestWatchOnAClusterCountsEveryPrimary(t *testing.T) {
	t.Parallel()
	c := labtest.Cluster(t, 3, 0, labtest.WithPassword("pw"))
	cfg := labConfig(source(c.Primaries[0].Addr(), "pw"), target(c.Primaries[0].Addr(), "pw"))
	cfg.Target.Kind = "cluster"
	cfg.Thresholds.WatchDuration.Duration = 5 * time.Second
	facts := runbook.Facts{runbook.BaselineP99: "1000.000"}
	ctx := context.Background()
	primaries, err := clusterPrimaries(ctx, cfg, cfg.Target.Endpoint)
	if err != nil || len(primaries) != 3 {
		t.Fatalf("primaries %v, %v", primaries, err)
	}
	// MSET over keys of two slots, sent to the last primary in slot order:
	// not the node the watch samples latency on.
	app := redis.NewClient(&redis.Options{Addr: primaries[2], Password: "pw"})
	defer app.Close()
	go func() {
		time.Sleep(1500 * time.Millisecond)
		for range 3 {
			app.MSet(ctx, "{a}x", 1, "{b}y", 2)
		}
	}()
	res := runCheck(t, runbook.CutoverWatch, envFor(cfg, facts))
	wantResult(t, res, false, "errors on the target since the watch began: CROSSSLOT +3 (multi-key commands over keys in different hash slots")
	if e := evidence(t, res, "errorstat_CROSSSLOT since the watch began"); e.OK || !strings.HasPrefix(e.Value, "+3: ") {
		t.Fatalf("CROSSSLOT row %+v", e)
	}
}

func TestSumInfo(t *testing.T) {
	a := ParseInfo("total_commands_processed:10\r\nkeyspace_hits:5\r\nkeyspace_misses:1\r\nused_memory:100\r\nerrorstat_CROSSSLOT:count=2\r\ndb0:keys=3,expires=1,avg_ttl=0\r\n")
	b := ParseInfo("total_commands_processed:7\r\nkeyspace_hits:2\r\nkeyspace_misses:2\r\nused_memory:50\r\nerrorstat_CROSSSLOT:count=1\r\nerrorstat_NOAUTH:count=4\r\ndb0:keys=4,expires=0,avg_ttl=0\r\n")
	s := sumInfo(a, b)
	if s.TotalCommandsProcessed != 17 || s.KeyspaceHits != 7 || s.KeyspaceMisses != 3 || s.UsedMemory != 150 || s.Keys() != 7 || s.Expires() != 1 {
		t.Errorf("sum %+v", s)
	}
	if got := errorCounts(s); got["CROSSSLOT"] != 3 || got["NOAUTH"] != 4 {
		t.Errorf("errors %v", got)
	}
	if errorCounts(a)["CROSSSLOT"] != 2 {
		t.Error("sumInfo changed its first argument")
	}
}

// A cluster-mode source is baselined on all its primaries: its keys are
// the whole cluster's, not the configuration endpoint's node's.
func TestBaselineOfAClusterModeSource(t *testing.T) {
	t.Parallel()
	c := labtest.Cluster(t, 3, 0, labtest.WithPassword("pw"))
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), Password: "pw"})
	defer cc.Close()
	for i := range 300 {
		if err := cc.Set(ctx, fmt.Sprint("k", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	cfg := labConfig(source(c.Primaries[0].Addr(), "pw"), target(c.Primaries[1].Addr(), "pw"))
	res := runCheck(t, runbook.InventoryBaseline, envFor(cfg, runbook.Facts{runbook.DiscoverClusterMode: "enabled"}))
	if !res.OK || res.Outputs["keys"] != "300" {
		t.Fatalf("ok %v, keys %q (want the 300 of all three primaries): %s", res.OK, res.Outputs["keys"], res.Summary)
	}
	res = runCheck(t, runbook.InventoryBaseline, envFor(cfg, nil))
	if n := res.Outputs["keys"]; n == "300" || n == "" {
		t.Fatalf("without cluster mode the baseline counted %q keys: want one node's", n)
	}
}

// verify.data counts a cluster target's keys on all its primaries.
func TestDataOnAClusterTarget(t *testing.T) {
	t.Parallel()
	c := labtest.Cluster(t, 3, 0, labtest.WithPassword("pw"))
	src := redisPW(t, "pw")
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), Password: "pw"})
	defer cc.Close()
	sc := Client(source(src.Addr(), "pw"), "seed")
	defer sc.Close()
	for i := range 300 {
		k := fmt.Sprint("k", i)
		if err := cc.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := sc.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	cfg := labConfig(source(src.Addr(), "pw"), target(c.Primaries[0].Addr(), "pw"))
	cfg.Target.Kind = "cluster"
	res := runCheck(t, runbook.VerifyData, envFor(cfg, nil))
	wantResult(t, res, true, "target holds 300 keys, source 300")
}

// cutover.stragglers lists the clients of every node of a cluster-mode
// source: an application left on one shard's replica is found.
func TestStragglersOnAClusterModeSource(t *testing.T) {
	t.Parallel()
	c := labtest.Cluster(t, 3, 1, labtest.WithPassword("pw"))
	app := redis.NewClient(&redis.Options{Addr: c.Replicas[2].Addr(), Password: "pw", ClientName: "orders-api"})
	defer app.Close()
	if err := app.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	cfg := labConfig(source(c.Primaries[0].Addr(), "pw"), target(c.Primaries[1].Addr(), "pw"))
	cfg.Thresholds.StragglersQuiet.Duration, cfg.Thresholds.StragglersTimeout.Duration = time.Second, 2*time.Second
	res := runCheck(t, runbook.CutoverStragglers, envFor(cfg, runbook.Facts{runbook.DiscoverClusterMode: "enabled"}))
	wantResult(t, res, false, "1 application connection(s) still on the source after 2s")
	wantContains(t, res.Summary, "name orders-api")
}

// build.persistence reads every primary of a cluster target, and
// build.memory holds the primaries' limits summed to the source's data.
func TestPersistenceAndMemoryOnAClusterTarget(t *testing.T) {
	t.Parallel()
	c := labtest.Cluster(t, 3, 0, labtest.WithPassword("pw"), labtest.WithConfig("appendonly yes", "maxmemory 4mb", "maxmemory-policy allkeys-lru"))
	ctx := context.Background()
	// One primary without persistence: the check names it.
	bare := c.Primaries[2]
	if err := redis.NewClient(&redis.Options{Addr: bare.Addr(), Password: "pw"}).ConfigSet(ctx, "appendonly", "no").Err(); err != nil {
		t.Fatal(err)
	}
	src := redisPW(t, "pw", "maxmemory-policy allkeys-lru")
	cfg := labConfig(source(src.Addr(), "pw"), target(c.Primaries[0].Addr(), "pw"))
	cfg.Target.Kind = "cluster"
	res := runCheck(t, runbook.BuildPersistence, envFor(cfg, nil))
	if res.OK {
		t.Fatalf("persistence passed with %s's AOF off: %v", bare.Addr(), res.Evidence)
	}
	if e := evidence(t, res, bare.Addr()+": persistence"); e.OK {
		t.Fatalf("row %+v", e)
	}
	if e := evidence(t, res, c.Primaries[0].Addr()+": persistence"); !e.OK {
		t.Fatalf("row %+v", e)
	}
	res = runCheck(t, runbook.BuildMemory, envFor(cfg, nil))
	if e := evidence(t, res, "maxmemory"); e.Value != "12.0 MB" {
		t.Fatalf("maxmemory %+v: want the three primaries' 4 MB summed", e)
	}
}
