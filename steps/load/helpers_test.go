package load

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/internal/replication"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/seed"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/steps/parity"
	"github.com/cutover/cutover/steps/rdb"
	"github.com/cutover/cutover/steps/snapshot"
)

func client(r *servers.Redis, db int) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: r.Addr(), Password: r.Password, DB: db, Protocol: 2, DisableIdentity: true})
}

// seeded starts a source with the lab's key mix plus keys in db 3, and
// returns it with a snapshot of it.
func seeded(t *testing.T, n int) (*servers.Redis, string) {
	t.Helper()
	src := labtest.Redis(t, labtest.WithPassword("src-pw"))
	ctx := context.Background()
	c := client(src, 0)
	defer c.Close()
	if err := seed.Seed(ctx, c, n, nil); err != nil {
		t.Fatal(err)
	}
	c3 := client(src, 3)
	defer c3.Close()
	for i := range 50 {
		c3.Set(ctx, "db3:"+strconv.Itoa(i), i, 0)
	}
	return src, snapshotOf(t, src)
}

func snapshotOf(t *testing.T, r *servers.Redis) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snap.rdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if _, err := replication.Replicate(context.Background(), r.Addr(), r.Password, w, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func verified(t testing.TB, path string) *rdb.Summary {
	t.Helper()
	sum, err := snapshot.VerifyFile(path, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// key is what a client can observe of a key.
type key struct {
	value rdb.Value
	pttl  time.Duration
}

// read DUMPs a key and decodes it; ok is false when it does not exist.
func read(t *testing.T, c redis.Cmdable, name string) (key, bool) {
	t.Helper()
	ctx := context.Background()
	p := c.Pipeline()
	dump := p.Dump(ctx, name)
	pttl := p.PTTL(ctx, name)
	if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		t.Fatalf("DUMP %q: %v", name, err)
	}
	if dump.Err() == redis.Nil {
		return key{}, false
	}
	typ, raw, ver, err := rdb.ParseDumpPayload([]byte(dump.Val()))
	if err != nil {
		t.Fatalf("DUMP %q: %v", name, err)
	}
	v, err := rdb.DecodeValue(typ, raw, int(ver))
	if err != nil {
		t.Fatalf("decode %q: %v", name, err)
	}
	return key{v, pttl.Val()}, true
}

// sameData checks that every key of every db on src is on dst with the same
// type, value and TTL (within a second), and that dst has no other keys.
func sameData(t *testing.T, src, dst *servers.Redis, dbs ...int) {
	t.Helper()
	ctx := context.Background()
	for _, db := range dbs {
		s, d := client(src, db), client(dst, db)
		n := 0
		iter := s.Scan(ctx, 0, "", 1000).Iterator()
		for iter.Next(ctx) {
			name := iter.Val()
			a, ok := read(t, s, name)
			if !ok {
				continue // expired meanwhile
			}
			b, ok := read(t, d, name)
			if !ok {
				t.Fatalf("db%d %q is missing on the target", db, name)
			}
			if diff := parity.Diff(a.value, b.value, time.Second); diff != "" {
				t.Fatalf("db%d %q: %s", db, name, diff)
			}
			if (a.pttl < 0) != (b.pttl < 0) || (a.pttl-b.pttl).Abs() > time.Second {
				t.Fatalf("db%d %q: TTL %s on the source, %s on the target", db, name, a.pttl, b.pttl)
			}
			n++
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		if have := d.DBSize(ctx).Val(); have != int64(n) {
			t.Fatalf("db%d: %d keys on the target, %d on the source", db, have, n)
		}
		s.Close()
		d.Close()
	}
}

func dbsize(t testing.TB, r *servers.Redis, db int) int64 {
	t.Helper()
	c := client(r, db)
	defer c.Close()
	n, err := c.DBSize(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}
