package probes

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/runbook"
)

// One real cluster of 3 primaries with a replica each, the subtests in
// order: the last ones stop nodes.
func TestClusterPoller(t *testing.T) {
	t.Parallel()
	const pw = "cl-pw"
	c := labtest.Cluster(t, 3, 1, labtest.WithPassword(pw))
	ep := target(c.Primaries[0].Addr(), pw)
	ep.Kind = "cluster"
	cfg := &runbook.Config{PollInterval: runbook.Duration{Duration: time.Second}, Target: runbook.Target{Endpoint: ep}}
	p := TargetClusterPoller(cfg)
	defer p.Close()
	ctx := context.Background()

	t.Run("every node with its role and shard", func(t *testing.T) {
		cs := p.Poll(ctx)
		if cs.Err != nil || cs.StateErr != nil {
			t.Fatalf("poll: %v / %v", cs.Err, cs.StateErr)
		}
		if cs.State != "ok" || cs.Slots != (ClusterSlots{Assigned: 16384, OK: 16384}) {
			t.Fatalf("state %q slots %+v", cs.State, cs.Slots)
		}
		if len(cs.Nodes) != 6 {
			t.Fatalf("%d nodes, want 6: %+v", len(cs.Nodes), cs.Nodes)
		}
		shards := map[string]int{}
		for i, n := range cs.Nodes {
			if !n.Sample.OK() || n.Sample.Info.IsPrimary() != n.Primary || n.Link != "connected" {
				t.Fatalf("node %d %s: primary %v, INFO role %q, link %q, err %v", i, n.Addr, n.Primary, n.Sample.Info.Role, n.Link, n.Sample.Err)
			}
			if n.Primary != (i%2 == 0) {
				t.Fatalf("node %d %s: want each shard's primary before its replica", i, n.Addr)
			}
			shards[n.Shard]++
			if !n.Primary {
				if _, _, ok := cs.Lag(n); !ok || n.Shard != cs.Nodes[i-1].Addr {
					t.Fatalf("replica %s of shard %s: no lag, or not after its primary", n.Addr, n.Shard)
				}
			}
		}
		if len(shards) != 3 || len(cs.Primaries()) != 3 {
			t.Fatalf("shards %v", shards)
		}
		if tot := ClusterTotal(Sample{}, cs, nil); !tot.Sample.OK() || tot.Rates.Valid {
			t.Fatalf("a first total: %v, rates %+v (want none yet)", tot.Sample.Err, tot.Rates)
		}
	})

	t.Run("exactly one INFO per node per poll", func(t *testing.T) {
		stats := map[string]map[string]int64{}
		for _, n := range c.Nodes() {
			s := Client(target(n.Addr(), pw), "stats")
			defer s.Close()
			stats[n.Addr()] = commandCalls(t, s)
			defer func() {
				after := commandCalls(t, s)
				const polls = 12 // the map is read again on the way
				if got := after["info"] - stats[n.Addr()]["info"]; got != polls+1 {
					t.Errorf("%s: %d INFO calls for %d polls (and one stats read), want one per poll", n.Addr(), got-1, polls)
				}
			}()
		}
		for range 12 {
			if cs := p.Poll(ctx); cs.Err != nil {
				t.Fatal(cs.Err)
			}
		}
	})

	t.Run("the primaries summed for the mapping", func(t *testing.T) {
		app := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), Password: pw})
		defer app.Close()
		for i := range 300 {
			if err := app.Set(ctx, fmt.Sprint("k", i), "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		prev := ClusterTotal(Sample{}, p.Poll(ctx), nil)
		time.Sleep(50 * time.Millisecond)
		cs := p.Poll(ctx)
		tot := ClusterTotal(prev.Sample, cs, map[string]Rates{cs.Nodes[0].Addr: {CPUPercent: 7, NewConnsPerSec: 2}})
		var mem int64
		for _, n := range cs.Primaries() {
			mem += n.Sample.Info.UsedMemory
		}
		if !tot.Sample.OK() || tot.Sample.Info.Keys() != 300 || tot.Sample.Info.UsedMemory != mem || len(tot.Sample.Info.Slaves) != 0 {
			t.Fatalf("total: %v, %d keys, memory %d want %d", tot.Sample.Err, tot.Sample.Info.Keys(), tot.Sample.Info.UsedMemory, mem)
		}
		if r := tot.Rates; !r.Valid || r.OpsPerSec <= 0 || r.CPUPercent != 7 || r.NewConnsPerSec != 2 {
			t.Fatalf("rates %+v", r)
		}
	})

	t.Run("a stopped node is down, the others answer", func(t *testing.T) {
		stopped := c.Replicas[0].Addr()
		c.Replicas[0].Stop()
		seed := c.Primaries[0].Addr()
		c.Primaries[0].Stop() // the seed: CLUSTER INFO moves to another node
		for i := range 2 {
			start := time.Now()
			cs := p.Poll(ctx)
			if took := time.Since(start); took > p.Timeout()+200*time.Millisecond {
				t.Fatalf("poll %d took %s, timeout %s", i, took, p.Timeout())
			}
			if cs.Err != nil || len(cs.Nodes) != 6 {
				t.Fatalf("poll %d: %v, %d nodes", i, cs.Err, len(cs.Nodes))
			}
			for _, n := range cs.Nodes {
				down := n.Addr == stopped || n.Addr == seed
				if n.Sample.OK() == down {
					t.Fatalf("poll %d: %s answered %v, want %v", i, n.Addr, n.Sample.OK(), !down)
				}
			}
			if tot := ClusterTotal(Sample{}, cs, nil); tot.Sample.OK() {
				t.Fatalf("poll %d: a total without the seed primary", i)
			}
			if i == 1 && (cs.StateErr != nil || cs.State == "" || cs.Asked == seed) {
				t.Fatalf("second poll asked %s: state %q, %v", cs.Asked, cs.State, cs.StateErr)
			}
		}
	})
}

func TestParseClusterNodes(t *testing.T) {
	text := `b1 127.0.9.5:7000@17000 slave a1 0 1 1 connected
a2 127.0.9.3:7000@17000 master - 0 1 2 connected 10923-16383
a1 :7000@17000 myself,master - 0 0 1 connected 0-5460
c3 127.0.9.9:7000@17000 handshake - 0 0 0 disconnected
a3 127.0.9.2:7000@17000,node-b master,fail - 0 1 3 disconnected 5461-10922
`
	nodes := parseClusterNodes(text, "127.0.9.1:7000")
	var got []string
	for _, n := range nodes {
		got = append(got, n.Addr+" "+n.Shard)
	}
	want := []string{"127.0.9.1:7000 127.0.9.1:7000", "127.0.9.5:7000 127.0.9.1:7000",
		"127.0.9.2:7000 127.0.9.2:7000", "127.0.9.3:7000 127.0.9.3:7000"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if nodes[2].Flags != "master,fail" || nodes[2].Link != "disconnected" {
		t.Fatalf("flags %q link %q", nodes[2].Flags, nodes[2].Link)
	}
}
