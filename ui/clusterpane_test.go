package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/probes"
)

// clusterReplay replays captured INFO for a cluster of three shards of a
// primary and a replica each, as probes.ClusterPoller reports it.
type clusterReplay struct {
	nodes []probes.ClusterNode
	info  []*infoPoller
}

func newClusterReplay(t testing.TB) *clusterReplay {
	c := &clusterReplay{}
	for s := range 3 {
		primary := fmt.Sprintf("127.0.20.%d:7000", s+1)
		replica := fmt.Sprintf("127.0.20.%d:7000", s+4)
		c.nodes = append(c.nodes,
			probes.ClusterNode{ID: fmt.Sprint("p", s), Addr: primary, Primary: true, Shard: primary, Flags: "master", Link: "connected", Slot: s * 5461},
			probes.ClusterNode{ID: fmt.Sprint("r", s), Addr: replica, Shard: primary, Flags: "slave", Link: "connected", Slot: -1})
		c.info = append(c.info, &infoPoller{text: captured(t, "info-primary-with-replica.txt"), addr: primary},
			&infoPoller{text: captured(t, "info-replica.txt"), addr: replica})
	}
	return c
}

func (c *clusterReplay) Close() error { return nil }

func (c *clusterReplay) Poll(ctx context.Context) probes.ClusterSample {
	cs := probes.ClusterSample{Asked: c.nodes[0].Addr, State: "ok",
		Slots: probes.ClusterSlots{Assigned: 16384, OK: 16384}}
	for i, n := range c.nodes {
		n.Sample = c.info[i].Poll(ctx)
		cs.Nodes = append(cs.Nodes, n)
		if n.Sample.Time.After(cs.Time) {
			cs.Time = n.Sample.Time
		}
	}
	return cs
}

// clusterTarget puts a cluster pane in the target's place, its last
// replica down, and polls it three times.
func clusterTarget(t testing.TB, f *fixture) *clusterReplay {
	c := newClusterReplay(t)
	c.info[5].err = errors.New("dial tcp 127.0.20.6:7000: connect: connection refused")
	f.m.tgt = NewClusterPane("target", c, time.Second)
	for range 3 {
		f.m.Update(f.m.tgt.poll(f.m.work)())
	}
	return c
}

func TestClusterPaneFocus(t *testing.T) {
	f := newFixture(t, 160, 48)
	clusterTarget(t, f)
	want := func(addr string) {
		t.Helper()
		body := strings.Join(f.m.tgt.body(70), "\n")
		if f.m.tgt.last.Addr != addr || !strings.Contains(body, "▸P  1500  4.2MB   702         "+addr) {
			t.Fatalf("focused %s, want %s:\n%s", f.m.tgt.last.Addr, addr, body)
		}
	}
	want("127.0.20.1:7000")
	f.press(t, "]")
	want("127.0.20.2:7000")
	f.press(t, "]", "]")
	want("127.0.20.1:7000") // round to the first shard
	if r := f.m.tgt.rates; !r.Valid || r.OpsPerSec == 0 {
		t.Fatalf("the focused primary's rates: %+v", r)
	}
	// The mapping and the abort criteria read the three primaries summed.
	if w := f.m.tgt.whole(); w.Sample.Info.Keys() != 3*702 || w.Rates.OpsPerSec != 3*f.m.tgt.rates.OpsPerSec || lastPoint(f.m.tgt).Sample.Info.Keys() != 3*702 {
		t.Fatalf("the whole cluster: %d keys, rates %+v", w.Sample.Info.Keys(), w.Rates)
	}
}
