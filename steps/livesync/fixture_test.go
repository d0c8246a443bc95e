package livesync

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// pair is a source with keyspace notifications on, as the parameter group
// would set them, and an empty target.
type pair struct {
	src, dst *servers.Redis
	logs     *logs
}

func newPair(t testing.TB, srcConfig ...string) *pair {
	t.Helper()
	if srcConfig == nil {
		srcConfig = []string{"notify-keyspace-events KEA"}
	}
	return &pair{
		src:  labtest.Redis(t, labtest.WithPassword("src-pw"), labtest.WithConfig(srcConfig...)),
		dst:  labtest.Redis(t, labtest.WithPassword("dst-pw")),
		logs: &logs{},
	}
}

func dialer(r *servers.Redis) Dialer {
	ep := runbook.Endpoint{Kind: "redis", URL: "redis://" + r.Addr(), Secret: runbook.Secret{Value: r.Password}}
	return func(purpose string, db, pool int) *redis.Client {
		return probes.Client(ep, purpose, probes.Database(db), probes.PoolSize(pool), probes.Timeout(10*time.Second))
	}
}

func (p *pair) options() Options {
	return Options{Source: dialer(p.src), Target: dialer(p.dst), Log: p.logs.add, Empty: true}
}

// client is a test-side client of one database.
func client(t testing.TB, r *servers.Redis, db int) *redis.Client {
	t.Helper()
	c := dialer(r)("test", db, 4)
	t.Cleanup(func() { c.Close() })
	return c
}

func (p *pair) start(t testing.TB, o Options) *Sync {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Stop() })
	if err := s.CaughtUp(ctx, time.Second); err != nil {
		t.Fatalf("not caught up: %v (%s)", err, s.Stats())
	}
	return s
}

// logs collects the sync's log lines.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) has(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// seed writes n keys of every type into db, a third of them with a TTL.
func seed(t testing.TB, c *redis.Client, prefix string, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i += 500 {
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j := i; j < min(n, i+500); j++ {
				k := fmt.Sprintf("%s:%d", prefix, j)
				switch j % 6 {
				case 0:
					p.Set(ctx, k, strings.Repeat("v", j%200), 0)
				case 1:
					p.HSet(ctx, k, "a", j, "b", "x")
				case 2:
					p.RPush(ctx, k, "1", "2", j)
				case 3:
					p.SAdd(ctx, k, "m1", "m2", j)
				case 4:
					p.ZAdd(ctx, k, redis.Z{Score: float64(j), Member: "z"}, redis.Z{Score: 1.5, Member: "y"})
				case 5:
					p.XAdd(ctx, &redis.XAddArgs{Stream: k, Values: []string{"f", fmt.Sprint(j)}})
				}
				if j%3 == 0 {
					p.Expire(ctx, k, time.Hour)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// compareAll compares every key of db on both sides (found by SCAN on
// each): it fails the test on any difference.
func (p *pair) compareAll(t testing.TB, db int) Compared {
	t.Helper()
	ctx := context.Background()
	src, dst := client(t, p.src, db), client(t, p.dst, db)
	set := map[string]bool{}
	for _, c := range []*redis.Client{src, dst} {
		it := c.Scan(ctx, 0, "", 1000).Iterator()
		for it.Next(ctx) {
			set[it.Val()] = true
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	var out Compared
	if err := Compare(ctx, src, dst, db, keys, time.Second, &out); err != nil {
		t.Fatal(err)
	}
	if out.Diffs > 0 || out.Same != out.Keys {
		t.Fatalf("db%d: %d of %d keys differ: %s", db, out.Keys-out.Same, out.Keys, strings.Join(out.Differs, "; "))
	}
	return out
}

// restores reads how many RESTOREs the target has run since its stats
// were reset.
func restores(t testing.TB, r *servers.Redis) int64 {
	t.Helper()
	text, err := client(t, r, 0).Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(text, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_restore:calls="); ok {
			var n int64
			fmt.Sscanf(rest, "%d", &n)
			return n
		}
	}
	return 0
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// drainStop drains the sync (the test's writers have stopped) and stops it.
func drainStop(t testing.TB, s *Sync) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Drain(ctx); err != nil {
		t.Fatalf("drain: %v (%s)", err, s.Stats())
	}
	must(t, s.Stop())
}
