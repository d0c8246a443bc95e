package load

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/seed"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/rediscluster"
	"github.com/cutover/cutover/steps/load/slot"
	"github.com/cutover/cutover/steps/parity"
	"github.com/cutover/cutover/steps/rdb"
)

const clusterPW = "cluster-pw"

// shardFiles starts a 3-shard source cluster, seeds n keys through a
// cluster client and snapshots each primary: one RDB per shard, as a
// cluster-mode ElastiCache export gives.
func shardFiles(t *testing.T, n int) (*servers.Cluster, []string) {
	t.Helper()
	src := labtest.Cluster(t, 3, 0, labtest.WithPassword("src-pw"))
	c := clusterClient(src)
	defer c.Close()
	if err := seed.Seed(context.Background(), c, n, nil); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, p := range src.Primaries {
		files = append(files, snapshotOf(t, p))
	}
	return src, files
}

func clusterClient(cl *servers.Cluster) *redis.ClusterClient {
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), Password: cl.Password, Protocol: 2, DisableIdentity: true})
}

func nodeClient(addr, pw string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Password: pw, Protocol: 2, DisableIdentity: true})
}

// target is how the loader reaches a test cluster.
func target(cl *servers.Cluster) Cluster {
	return Cluster{Seed: cl.Primaries[0].Addr(), Client: func(a string) *redis.Client { return nodeClient(a, cl.Password) }}
}

func verifiedAll(t *testing.T, files []string) (sums []*rdb.Summary, loadable int64) {
	t.Helper()
	for _, f := range files {
		s := verified(t, f)
		sums = append(sums, s)
		loadable += s.Loadable()
	}
	return sums, loadable
}

// onOwners checks that every key on every primary is in a slot that
// primary serves (the node's own CLUSTER KEYSLOT against CLUSTER SLOTS) and
// returns the keys per primary.
func onOwners(t *testing.T, cl *servers.Cluster) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	seedc := nodeClient(cl.Primaries[0].Addr(), cl.Password)
	defer seedc.Close()
	owner, err := slot.Read(ctx, seedc)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, a := range slot.Primaries(owner) {
		c := nodeClient(a, cl.Password)
		iter := c.Scan(ctx, 0, "", 1000).Iterator()
		for iter.Next(ctx) {
			slot, err := c.ClusterKeySlot(ctx, iter.Val()).Result()
			if err != nil {
				t.Fatal(err)
			}
			if owner[slot] != a {
				t.Fatalf("%q (slot %d) is on %s, but %s serves that slot", iter.Val(), slot, a, owner[slot])
			}
			out[a]++
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	return out
}

func total(m map[string]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}

// sameCluster checks that every key of src is on dst with the same type,
// value and TTL (within a second), and that dst holds no other keys.
func sameCluster(t *testing.T, src, dst *servers.Cluster) {
	t.Helper()
	ctx := context.Background()
	s, d := clusterClient(src), clusterClient(dst)
	defer s.Close()
	defer d.Close()
	var n int64
	for _, p := range src.Primaries {
		c := nodeClient(p.Addr(), src.Password)
		iter := c.Scan(ctx, 0, "", 1000).Iterator()
		for iter.Next(ctx) {
			name := iter.Val()
			a, ok := read(t, c, name)
			if !ok {
				continue
			}
			b, ok := read(t, d, name)
			if !ok {
				t.Fatalf("%q is missing on the target", name)
			}
			if diff := parity.Diff(a.value, b.value, time.Second); diff != "" {
				t.Fatalf("%q: %s", name, diff)
			}
			if (a.pttl < 0) != (b.pttl < 0) || (a.pttl-b.pttl).Abs() > time.Second {
				t.Fatalf("%q: TTL %s on the source, %s on the target", name, a.pttl, b.pttl)
			}
			n++
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	if have := total(onOwners(t, dst)); have != n {
		t.Fatalf("%d keys on the target, %d on the source", have, n)
	}
}

func nodeID(t *testing.T, r *servers.Redis) string {
	t.Helper()
	c := nodeClient(r.Addr(), r.Password)
	defer c.Close()
	id, err := c.Do(context.Background(), "CLUSTER", "MYID").Text()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// setSlot runs CLUSTER SETSLOT slot args... on the nodes, in order.
func setSlot(t *testing.T, slot int, nodes []*servers.Redis, args ...any) {
	t.Helper()
	for _, n := range nodes {
		c := nodeClient(n.Addr(), n.Password)
		err := c.Do(context.Background(), append([]any{"CLUSTER", "SETSLOT", slot}, args...)...).Err()
		c.Close()
		if err != nil {
			t.Fatalf("CLUSTER SETSLOT %d %v on %s: %v", slot, args, n.Addr(), err)
		}
	}
}

func mentions(list []string, parts ...string) bool {
	return slices.ContainsFunc(list, func(s string) bool {
		for _, p := range parts {
			if !strings.Contains(s, p) {
				return false
			}
		}
		return true
	})
}

// settled waits until every primary reports the same slot map, as after
// CLUSTER SETSLOT NODE the others learn it by gossip.
func settled(t *testing.T, cl *servers.Cluster) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var maps [][rediscluster.Count]string
		for _, p := range cl.Primaries {
			c := nodeClient(p.Addr(), cl.Password)
			m, err := slot.Read(ctx, c)
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
			maps = append(maps, m)
		}
		if maps[0] == maps[1] && maps[1] == maps[2] {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the primaries do not agree on the slot map after 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// migrate marks slot s as migrating from one primary to another: IMPORTING
// on the new one, MIGRATING on the old.
func migrate(t *testing.T, s int, from, to *servers.Redis) {
	t.Helper()
	setSlot(t, s, []*servers.Redis{to}, "IMPORTING", nodeID(t, from))
	setSlot(t, s, []*servers.Redis{from}, "MIGRATING", nodeID(t, to))
}

// finish ends a migration whose keys are all on the new owner: SETSLOT
// NODE on it first (it bumps its config epoch, so its claim wins), then on
// the old owner and the rest, and waits until every primary agrees.
func finish(t *testing.T, cl *servers.Cluster, s int, from, to *servers.Redis) {
	t.Helper()
	rest := slices.DeleteFunc(slices.Clone(cl.Primaries), func(r *servers.Redis) bool { return r == to || r == from })
	setSlot(t, s, append([]*servers.Redis{to, from}, rest...), "NODE", nodeID(t, to))
	settled(t, cl)
}
