package load

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/rediscluster"
	"github.com/cutover/cutover/steps/load/slot"
	"github.com/cutover/cutover/steps/parity"
	"github.com/cutover/cutover/steps/rdb"
)

// waitFailover waits until a replica serves the slots of the stopped
// primary dead and the cluster is ok again.
func waitFailover(t *testing.T, cl *servers.Cluster, dead string) {
	t.Helper()
	ctx := context.Background()
	seedc := nodeClient(cl.Primaries[0].Addr(), cl.Password)
	defer seedc.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		owner, err := slot.Read(ctx, seedc)
		state := seedc.ClusterInfo(ctx).Val()
		if err == nil && !slices.Contains(slot.Primaries(owner), dead) && strings.Contains(state, "cluster_state:ok") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replica took over from %s within 30s: %v %s", dead, err, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Three shard files go into a 3-primary cluster: every key on the primary
// serving its slot, values and TTLs as on the source; a second load
// refuses the non-empty cluster, and with replace changes nothing.
func TestLoadClusterShards(t *testing.T) {
	t.Parallel()
	src, files := shardFiles(t, 5000)
	sums, want := verifiedAll(t, files)
	dst := labtest.Cluster(t, 3, 0, labtest.WithPassword(clusterPW))
	ctx := context.Background()
	st, err := LoadCluster(ctx, target(dst), files, sums, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Keys != want || st.Failed != 0 || st.Moved != 0 || st.Asked != 0 || len(st.Migrations) != 0 {
		t.Fatalf("stats %+v, want %d keys, no refusals, redirects or migrations", st, want)
	}
	per := onOwners(t, dst)
	if len(per) != 3 || total(per) != want {
		t.Fatalf("keys per primary %v, want %d on 3", per, want)
	}
	for a, n := range per {
		if st.PerNode[a] != n {
			t.Fatalf("the load counts %v per primary, the primaries hold %v", st.PerNode, per)
		}
	}
	sameCluster(t, src, dst)

	var ne *NotEmptyError
	if _, err := LoadCluster(ctx, target(dst), files, sums, Options{}); !errors.As(err, &ne) || !strings.Contains(err.Error(), "db0=") {
		t.Fatalf("a load into the loaded cluster: %v, want a refusal", err)
	}
	if st, err := LoadCluster(ctx, target(dst), files, sums, Options{Existing: Replace}); err != nil || st.Keys != want {
		t.Fatalf("load with replace: %+v, %v", st, err)
	}
	sameCluster(t, src, dst)
	stray := nodeClient(dst.Primaries[2].Addr(), clusterPW)
	defer stray.Close()
	set := 0
	for i := range 200 { // keys the files do not hold: the ones in that primary's slots
		if stray.Set(ctx, "stray:"+strconv.Itoa(i), i, 0).Err() == nil {
			set++
		}
	}
	if set == 0 {
		t.Fatal("no stray key landed")
	}
	if st, err := LoadCluster(ctx, target(dst), files, sums, Options{Existing: Flush}); err != nil || st.Keys != want {
		t.Fatalf("load with flush: %+v, %v", st, err)
	}
	sameCluster(t, src, dst)
}

// Slots moved after the loader read the slot map answer MOVED, and a slot
// migrating answers ASK for keys its old node lacks: the loader follows
// both and writes every key; the migration shows in the next load's
// preparation.
func TestLoadClusterFollowsMovedAndAsk(t *testing.T) {
	t.Parallel()
	src, files := shardFiles(t, 3000)
	sums, want := verifiedAll(t, files)
	dst := labtest.Cluster(t, 3, 0, labtest.WithPassword(clusterPW))
	ctx := context.Background()
	o := Options{}
	o.norm()
	p, err := prepareCluster(ctx, target(dst), files, sums, &o)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := dst.Primaries[0], dst.Primaries[1], dst.Primaries[2]
	// Two of a's slots move to b for good, one starts migrating to c.
	var moved []int
	for _, k := range fileKeys(t, files[0]) {
		s := rediscluster.Of([]byte(k.name))
		if p.slots.owner[s] == a.Addr() && len(moved) < 3 && !slices.Contains(moved, s) {
			moved = append(moved, s)
		}
	}
	if len(moved) < 3 {
		t.Fatalf("fewer than 3 of a's slots (%s) hold keys", p.slots.of(a.Addr()))
	}
	for _, s := range moved[:2] {
		migrate(t, s, a, b)
		finish(t, dst, s, a, b)
	}
	migrating := moved[2]
	migrate(t, migrating, a, c)

	again, err := prepareCluster(ctx, target(dst), files, sums, &o)
	if err != nil {
		t.Fatal(err)
	}
	if !mentions(again.moving, "migrating from "+a.Addr()+" to "+c.Addr()) || !mentions(again.moving, "importing into "+c.Addr()+" from "+a.Addr()) {
		t.Fatalf("migrations found %q, want slot %d from %s to %s", again.moving, migrating, a.Addr(), c.Addr())
	}

	st, err := p.load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Keys != want || st.Failed != 0 || st.Moved == 0 || st.Asked == 0 {
		t.Fatalf("stats %+v: want %d keys, MOVED and ASK followed", st, want)
	}
	t.Logf("%d keys, %d MOVED and %d ASK followed", st.Keys, st.Moved, st.Asked)
	// Finish the migration: the keys were written on c, which now serves
	// the slot.
	finish(t, dst, migrating, a, c)
	sameCluster(t, src, dst)
}

// A primary stopped mid-load fails the load naming the node and its
// slots; once its replica has taken over, the load again with replace
// converges.
func TestLoadClusterNodeDown(t *testing.T) {
	t.Parallel()
	src, files := shardFiles(t, 20000)
	sums, want := verifiedAll(t, files)
	dst := labtest.Cluster(t, 3, 1, labtest.WithPassword(clusterPW))
	victim := dst.Primaries[1]
	ctx := context.Background()
	p, err := prepareCluster(ctx, target(dst), files, sums, &Options{})
	if err != nil {
		t.Fatal(err)
	}
	victimSlots := "slots " + p.slots.of(victim.Addr())
	var once sync.Once
	_, err = LoadCluster(ctx, target(dst), files, sums, Options{ProgressEvery: 2 * time.Millisecond, Progress: func(Progress) {
		once.Do(victim.Stop) // the first report comes 2ms in: far from done
	}})
	if err == nil || !strings.Contains(err.Error(), victim.Addr()) || !strings.Contains(err.Error(), victimSlots) || !strings.Contains(err.Error(), "re-run the load") {
		t.Fatalf("load with a primary stopped: %v, want a failure naming %s and its slots", err, victim.Addr())
	}
	t.Log(err)
	waitFailover(t, dst, victim.Addr())
	st, err := LoadCluster(ctx, target(dst), files, sums, Options{Existing: Replace})
	if err != nil || st.Keys != want {
		t.Fatalf("re-run after the failover: %+v, %v", st, err)
	}
	sameCluster(t, src, dst)
}

// Keys rebuilt with several commands (types the target's version cannot
// RESTORE) in migrating slots take ASKING before each command; the
// function library goes to every primary.
func TestLoadClusterRebuildsThroughAsk(t *testing.T) {
	t.Parallel()
	path := filepath.Join(labtest.RDBTestdata(t), "redis-7.4.1.rdb")
	sum := verified(t, path)
	keys := fileKeys(t, path)
	dst := labtest.Cluster(t, 3, 0, labtest.WithPassword(clusterPW))
	ctx := context.Background()
	// The file's db1 and db9 go to db0 too, where some names repeat: on
	// one connection per primary, with replace, the last one wins.
	o := Options{DBMap: map[int]int{1: 0, 9: 0}, Existing: Replace, Conns: 1}
	o.norm()
	last := map[string]fileKey{}
	for _, k := range keys {
		last[k.name] = k
	}
	p, err := prepareCluster(ctx, target(dst), []string{path}, []*rdb.Summary{sum}, &o)
	if err != nil {
		t.Fatal(err)
	}
	byAddr := map[string]*servers.Redis{}
	for _, n := range dst.Primaries {
		byAddr[n.Addr()] = n
	}
	// One slot of a rebuilt key migrates (one at a time: several manual
	// migrations at once can leave the nodes disagreeing on the epochs).
	moving := -1
	for _, k := range keys {
		if s := rediscluster.Of([]byte(k.name)); !rdb.RestorableOn(k.typ, p.t.RDBVersion) {
			moving = s
			break
		}
	}
	if moving < 0 {
		t.Fatal("no key of the file needs rebuilding on this target")
	}
	from := byAddr[p.slots.owner[moving]]
	next := dst.Primaries[(slices.Index(dst.Primaries, from)+1)%3]
	migrate(t, moving, from, next)
	st, err := p.load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Keys != int64(len(keys)) || st.Failed != 0 || st.Asked == 0 || st.Native == 0 || st.Functions != 1 {
		t.Fatalf("stats %+v: want %d keys, ASK followed, the library loaded", st, len(keys))
	}
	finish(t, dst, moving, from, next)
	c := clusterClient(dst)
	defer c.Close()
	if n := total(onOwners(t, dst)); n != int64(len(last)) {
		t.Fatalf("%d keys on the cluster, want %d", n, len(last))
	}
	for _, k := range last {
		got, ok := read(t, c, k.name)
		if !ok {
			t.Fatalf("%q is missing on the target", k.name)
		}
		if d := parity.Diff(withoutFieldTTLs(k.value), got.value, time.Second); d != "" {
			t.Fatalf("%q: %s", k.name, d)
		}
	}
	for _, n := range dst.Primaries {
		nc := nodeClient(n.Addr(), clusterPW)
		libs, err := nc.FunctionList(ctx, redis.FunctionListQuery{}).Result()
		nc.Close()
		if err != nil || len(libs) != 1 {
			t.Fatalf("FUNCTION LIST on %s: %v, %v", n.Addr(), libs, err)
		}
	}
}
