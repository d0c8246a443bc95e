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
