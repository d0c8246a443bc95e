package livesync

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// writer changes random keys of db on the source until stopped: sets,
// deletes, expiries, list pushes and renames.
func writer(t testing.TB, c *redis.Client, prefix string, n int) (stop func() int) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	ops := 0
	wg.Go(func() {
		r := rand.New(rand.NewPCG(1, 2))
		for ctx.Err() == nil {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for range 20 {
					k := fmt.Sprintf("%s:%d", prefix, r.IntN(n))
					switch r.IntN(6) {
					case 0:
						p.Set(ctx, k, r.Int(), 0)
					case 1:
						p.Del(ctx, k)
					case 2:
						p.Set(ctx, k, "short", time.Duration(100+r.IntN(400))*time.Millisecond)
					case 3:
						p.RPush(ctx, k+":l", r.Int())
					case 4:
						p.Rename(ctx, k, fmt.Sprintf("%s:%d", prefix, r.IntN(n)))
					case 5:
						p.Expire(ctx, k, time.Hour)
					}
					ops++
				}
				return nil
			})
			if err != nil && ctx.Err() == nil && !strings.Contains(err.Error(), "no such key") {
				t.Errorf("writer: %v", err)
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
	return func() int { cancel(); wg.Wait(); return ops }
}

func TestFirstPassAndChangesConverge(t *testing.T) {
	p := newPair(t)
	seed(t, client(t, p.src, 0), "k", 3000)
	seed(t, client(t, p.src, 3), "other", 600)
	s := p.start(t, p.options())
	if st := s.Stats(); st.Scanned < 3600 || st.Passes != 1 || st.Dropped != 0 {
		t.Fatalf("after the first pass: %s (scanned %d)", st, st.Scanned)
	}
	stop := writer(t, client(t, p.src, 0), "k", 3000)
	time.Sleep(2 * time.Second)
	ops := stop()
	st := s.Stats()
	drainStop(t, s)
	a, b := p.compareAll(t, 0), p.compareAll(t, 3)
	t.Logf("%d writes during the sync; %s; compared %d + %d keys, all equal", ops, st, a.Keys, b.Keys)
	if st.Events == 0 || st.Copied < 3600 {
		t.Fatalf("stats %s: expected events and at least the 3600 keys copied", st)
	}
}

func TestPubSubKilledMidSyncIsDetectedAndRescanned(t *testing.T) {
	p := newPair(t)
	src := client(t, p.src, 0)
	seed(t, src, "k", 2000)
	s := p.start(t, p.options())
	ctx := context.Background()
	// The kill and the writes run in one MULTI: the changes happen while
	// nobody listens, so their events are lost for certain.
	_, err := src.TxPipelined(ctx, func(pp redis.Pipeliner) error {
		pp.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub")
		pp.Set(ctx, "lost:new", "v", 0)
		pp.Del(ctx, "k:0")
		pp.HSet(ctx, "k:1", "c", "changed")
		pp.Expire(ctx, "k:2", 90*time.Second)
		return nil
	})
	must(t, err)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	must(t, s.waitUntil(wctx, func() bool { return s.Stats().Dropped >= 1 }))
	must(t, s.CaughtUp(wctx, time.Second))
	st := s.Stats()
	if st.LastIncident == nil || !strings.Contains(st.LastIncident.Reason, "pub/sub connection") || st.Passes < 2 {
		t.Fatalf("stats %s, incident %+v: want a pub/sub incident and a second pass", st, st.LastIncident)
	}
	if !p.logs.has("events may have been lost") || !p.logs.has("catch-up rescan converged") {
		t.Fatalf("the log does not show the incident and the rescan:\n%s", p.logs)
	}
	drainStop(t, s)
	dst := client(t, p.dst, 0)
	if dst.Exists(ctx, "lost:new").Val() != 1 || dst.Exists(ctx, "k:0").Val() != 0 || dst.HGet(ctx, "k:1", "c").Val() != "changed" {
		t.Fatal("the changes made while the subscription was down are not on the target")
	}
	c := p.compareAll(t, 0)
	t.Logf("incident: %s; %s; %d keys equal", st.LastIncident.Reason, st, c.Keys)
}

func TestKeyLifecycleDuringSync(t *testing.T) {
	p := newPair(t)
	src, dst := client(t, p.src, 0), client(t, p.dst, 0)
	ctx := context.Background()
	seed(t, src, "k", 300)
	must(t, src.Set(ctx, "gone", "v", 0).Err())
	must(t, src.Set(ctx, "old-name", "v", 0).Err())
	must(t, src.Set(ctx, "retyped", "a string", 0).Err())
	must(t, src.RPush(ctx, "a-list", "1", "2").Err())
	must(t, src.Set(ctx, "kept", "v", time.Hour).Err())
	must(t, src.Set(ctx, "mortal", "v", 0).Err())
	s := p.start(t, p.options())

	must(t, src.Del(ctx, "gone").Err())
	must(t, src.Set(ctx, "short", "v", 300*time.Millisecond).Err())
	must(t, src.Rename(ctx, "old-name", "new-name").Err())
	must(t, src.Rename(ctx, "a-list", "retyped").Err()) // a string becomes a list
	must(t, src.Del(ctx, "k:6").Err())
	must(t, src.SAdd(ctx, "k:6", "now a set").Err()) // a list becomes a set
	must(t, src.Persist(ctx, "kept").Err())
	must(t, src.Expire(ctx, "mortal", 100*time.Second).Err())
	// Wait for "short" to expire on the source (EXISTS makes it so).
	deadline := time.Now().Add(5 * time.Second)
	for src.Exists(ctx, "short").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("short never expired on the source")
		}
		time.Sleep(50 * time.Millisecond)
	}
	drainStop(t, s)

	for _, c := range []struct {
		key, want string
	}{{"gone", "none"}, {"short", "none"}, {"old-name", "none"}, {"new-name", "string"}, {"retyped", "list"}, {"k:6", "set"}, {"a-list", "none"}} {
		if got := dst.Type(ctx, c.key).Val(); got != c.want {
			t.Errorf("%s is %s on the target, want %s", c.key, got, c.want)
		}
	}
	if ttl := dst.TTL(ctx, "kept").Val(); ttl != -1 {
		t.Errorf("kept has TTL %s on the target after PERSIST", ttl)
	}
	if got, want := dst.PTTL(ctx, "mortal").Val(), src.PTTL(ctx, "mortal").Val(); want < 90*time.Second || (got-want).Abs() > time.Second {
		t.Errorf("mortal has TTL %s on the target, %s on the source", got, want)
	}
	p.compareAll(t, 0)
}

func TestHotKeyDoesNotFloodTheTarget(t *testing.T) {
	p := newPair(t)
	src := client(t, p.src, 0)
	ctx := context.Background()
	s := p.start(t, p.options())
	must(t, client(t, p.dst, 0).ConfigResetStat(ctx).Err())
	// About 1000 writes a second to one key for 2 s.
	writes := 0
	start := time.Now()
	for time.Since(start) < 2*time.Second {
		_, err := src.Pipelined(ctx, func(pp redis.Pipeliner) error {
			for range 10 {
				pp.Incr(ctx, "hot")
			}
			return nil
		})
		must(t, err)
		writes += 10
		time.Sleep(10 * time.Millisecond)
	}
	took := time.Since(start)
	drainStop(t, s)
	n := restores(t, p.dst)
	// 5 copies a second of the hot key (200 ms interval) plus one marker
	// a second, for ~2 s, and the final drain.
	limit := int64(took.Seconds()*6) + 6
	t.Logf("%d writes of one key in %s: %d RESTOREs on the target (limit %d)", writes, took.Round(time.Millisecond), n, limit)
	if writes < 1000 || n > limit || n < 2 {
		t.Fatalf("%d writes led to %d RESTOREs, want at most %d", writes, n, limit)
	}
	if v := client(t, p.dst, 0).Get(ctx, "hot").Val(); v != fmt.Sprint(writes) {
		t.Fatalf("hot is %s on the target, want %d", v, writes)
	}
}

func TestNotificationsSwitchedOffAreDetected(t *testing.T) {
	p := newPair(t)
	src := client(t, p.src, 0)
	ctx := context.Background()
	s := p.start(t, p.options())
	must(t, src.ConfigSet(ctx, "notify-keyspace-events", "").Err())
	must(t, src.Set(ctx, "unnoticed", "v", 0).Err())
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	must(t, s.waitUntil(wctx, func() bool { return s.Stats().Dropped >= 1 }))
	if st := s.Stats(); st.Consistent || !strings.Contains(st.LastIncident.Reason, "without the keyspace notification") {
		t.Fatalf("stats %s, incident %+v", st, st.LastIncident)
	}
	must(t, src.ConfigSet(ctx, "notify-keyspace-events", "KEA").Err())
	must(t, s.CaughtUp(wctx, time.Second))
	drainStop(t, s)
	if client(t, p.dst, 0).Get(ctx, "unnoticed").Val() != "v" {
		t.Fatal("the key written while notifications were off is not on the target")
	}
	p.compareAll(t, 0)
}

func TestStartRefusesWithoutNotifications(t *testing.T) {
	p := newPair(t, "notify-keyspace-events Ex")
	_, err := Start(context.Background(), p.options())
	if err == nil || !strings.Contains(err.Error(), "notify-keyspace-events") || !strings.Contains(err.Error(), "KEA") {
		t.Fatalf("Start: %v, want a refusal naming notify-keyspace-events KEA", err)
	}
}

// A key only on the target is a difference, unless the target is about to
// expire it (the source already did, a round trip earlier).
func TestCompareKeysOnlyOnTheTarget(t *testing.T) {
	p := newPair(t)
	ctx := context.Background()
	src, dst := client(t, p.src, 0), client(t, p.dst, 0)
	must(t, dst.Set(ctx, "stale", "v", 0).Err())
	must(t, dst.Set(ctx, "expiring", "v", 800*time.Millisecond).Err())
	must(t, dst.Set(ctx, "later", "v", time.Hour).Err())
	var out Compared
	must(t, Compare(ctx, src, dst, 0, []string{"stale", "expiring", "later", "absent"}, time.Second, &out))
	if out.Keys != 4 || out.Same != 2 || out.Diffs != 2 {
		t.Fatalf("compared %d, same %d, %d differ %q: want 4 compared, expiring and absent the same", out.Keys, out.Same, out.Diffs, out.Differs)
	}
	for i, k := range []string{`"stale"`, `"later"`} {
		if !strings.Contains(out.Differs[i], k+": on the target, gone from the source") {
			t.Errorf("difference %d is %q, want %s", i, out.Differs[i], k)
		}
	}
}
