package probes

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/runbook"
)

func clusterConfig(c *servers.Cluster) *runbook.Config {
	cfg := labConfig(source(c.Primaries[0].Addr(), c.Password), target(c.Primaries[0].Addr(), c.Password))
	cfg.Target.Kind = "cluster"
	return cfg
}

func TestClusterCheck(t *testing.T) {
	t.Parallel()
	c := labtest.Cluster(t, 3, 1, labtest.WithPassword("pw"))
	cfg := clusterConfig(c)
	res := runCheck(t, "build.cluster", envFor(cfg, nil))
	wantResult(t, res, true, "all slots served by 3 shards, each with a replica in another zone; every node agrees on the slot map")
	for name, want := range map[string]string{
		"cluster_state": "ok", "slots covered": "16384 of 16384", "shards": "3",
		"primaries without a replica in another zone": "none", "slot map": "6 nodes agree",
	} {
		if e := evidence(t, res, name); e.Value != want || !e.OK {
			t.Errorf("%s: %+v, want %q", name, e, want)
		}
	}
	if e := evidence(t, res, "primaries without a replica in another zone"); !strings.Contains(e.Want, "its host stands for its zone") {
		t.Errorf("without target.zones the row says hosts stand for zones: %+v", e)
	}

	// target.zones that put a primary and its replica in one zone.
	tc := Client(cfg.Target.Endpoint, "test")
	defer tc.Close()
	slots, err := tc.ClusterSlots(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Target.Zones = map[string]string{}
	for i, s := range slots {
		z := []string{"us-east-1a", "us-east-1b", "us-east-1c"}[i%3]
		for _, n := range s.Nodes {
			cfg.Target.Zones[n.Addr] = z
		}
	}
	cfg.Target.Zones[slots[1].Nodes[1].Addr] = "us-east-1a" // shard 2's replica leaves its zone
	res = runCheck(t, "build.cluster", envFor(cfg, nil))
	e := evidence(t, res, "primaries without a replica in another zone")
	if res.OK || e.OK || strings.Count(e.Value, "replicas only in its zone") != 2 || strings.Contains(e.Value, slots[1].Nodes[0].Addr) {
		t.Fatalf("zones row %+v (ok %v)", e, res.OK)
	}
}

// Slots removed on every node: the check fails naming the range.
func TestClusterCheckUncoveredSlots(t *testing.T) {
	t.Parallel()
	c := labtest.Cluster(t, 3, 1, labtest.WithPassword("pw"))
	ctx := context.Background()
	for _, n := range c.Nodes() {
		nc := redis.NewClient(&redis.Options{Addr: n.Addr(), Password: c.Password})
		err := nc.Do(ctx, "CLUSTER", "DELSLOTSRANGE", 5461, 10922).Err()
		nc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	cfg := clusterConfig(c)
	var res runbook.Result
	// The nodes go to cluster_state:fail on their next cron tick.
	deadline := time.Now().Add(10 * time.Second)
	for res = runCheck(t, "build.cluster", envFor(cfg, nil)); evidence(t, res, "cluster_state").Value != "fail"; res = runCheck(t, "build.cluster", envFor(cfg, nil)) {
		if time.Now().After(deadline) {
			t.Fatalf("cluster_state never failed: %+v", res.Evidence)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantResult(t, res, false, "slots covered: 10922 of 16384: 5461-10922 not served")
	wantResult(t, res, false, "cluster_state: fail")
	if e := evidence(t, res, "slot map"); !e.OK {
		t.Errorf("every node removed the same slots, so they agree: %+v", e)
	}
}

func TestSlotMapAndSets(t *testing.T) {
	a := []redis.ClusterSlot{{Start: 5461, End: 16383, Nodes: []redis.ClusterNode{{Addr: ":7002"}}}, {Start: 0, End: 5460, Nodes: []redis.ClusterNode{{Addr: "10.0.0.1:7001"}, {Addr: "10.0.0.2:7001"}}}}
	if got := slotMap(a, "10.0.0.9:7002"); got != "0-5460 10.0.0.1:7001, 5461-16383 10.0.0.9:7002" {
		t.Errorf("slotMap %q", got)
	}
	s := newSlotSet()
	if n, err := s.addRanges("0-100,200-300, 7"); err != nil || n != 202 {
		t.Fatalf("addRanges: %d, %v", n, err)
	}
	if got := s.missing(); got != "101-199, 301-16383" {
		t.Errorf("missing %q", got)
	}
	if _, err := s.addRanges("9-3"); err == nil {
		t.Error("9-3 accepted")
	}
	nodes := "id1 10.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460\nid2 :7002@17002 master - 0 0 2 connected\nid3 10.0.0.3:7003@17003 handshake - 0 0 0 connected\n"
	if got := clusterNodeAddrs(nodes, "10.0.0.2:7002"); strings.Join(got, " ") != "10.0.0.1:7001 10.0.0.2:7002" {
		t.Errorf("clusterNodeAddrs %v", got)
	}
}
