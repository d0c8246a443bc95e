package rdb

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/redis/go-redis/v9"
)

// TestRealRedisRoundTrip fills a real redis-server with every type and
// encoding, SAVEs, reads the RDB and compares each key with the server.
// Then it loads every key into a second server with RESTORE of
// AppendDumpPayload and into a third with Commands, and compares both with the
// first. It also checks AppendDumpPayload against the server's own DUMP and
// Inspect's counts.
func TestRealRedisRoundTrip(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	src := labtest.Redis(t, labtest.WithConfig("enable-debug-command yes"))
	restored, rebuilt := labtest.Redis(t), labtest.Redis(t)
	populate(t, ctx, src.Addr())
	// Under an LFU policy the file carries a FREQ record before each key.
	admin := dbClient(src.Addr(), 0)
	defer admin.Close()
	for _, cmd := range [][]any{{"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}, {"SAVE"}} {
		if err := admin.Do(ctx, cmd...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	want := snapshot(t, ctx, src.Addr())
	path := filepath.Join(src.Dir, "dump.rdb")

	clients := map[string]*redis.Client{}
	client := func(addr string, db int) *redis.Client {
		id := fmt.Sprint(addr, "/", db)
		if clients[id] == nil {
			clients[id] = dbClient(addr, db)
		}
		return clients[id]
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version() != 10 {
		t.Fatalf("Redis 7.0 writes RDB 10, got %d", r.Version())
	}
	now := time.Now().UnixMilli()
	got := map[string]canon{}
	expired, withFreq := 0, 0
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != KeyEntry {
			continue
		}
		if e.Freq >= 0 {
			withFreq++
		}
		if e.ExpireMS >= 0 && e.ExpireMS < now {
			expired++
			continue
		}
		id := fmt.Sprint(e.DB, "/", b64(e.Key))
		v, err := e.Decode()
		if err != nil {
			t.Fatalf("key %q: %v", e.Key, err)
		}
		got[id] = canonOf(e.Key, v, e.ExpireMS)

		payload := AppendDumpPayload(nil, e.Type, e.Raw, uint16(r.Version()))
		dump, err := client(src.Addr(), e.DB).Dump(ctx, string(e.Key)).Bytes()
		if err != nil || !bytes.Equal(dump, payload) {
			t.Errorf("key %q: AppendDumpPayload differs from the server's DUMP (%v)", e.Key, err)
		}
		ttl := max(e.ExpireMS, 0)
		if err := client(restored.Addr(), e.DB).Do(ctx, "RESTORE", e.Key, ttl, payload, "ABSTTL").Err(); err != nil {
			t.Errorf("RESTORE %q: %v", e.Key, err)
		}
		target := client(rebuilt.Addr(), e.DB)
		warnings, err := Commands(e.Key, v, e.ExpireMS, CapabilitiesFor("7.0.15", ""), func(args []any) error {
			return target.Do(ctx, args...).Err()
		})
		if err != nil || len(warnings) > 0 {
			t.Errorf("Commands %q: %v %q", e.Key, err, warnings)
		}
	}
	if c := r.Checksum(); c.Status != "verified" {
		t.Errorf("checksum %+v", c)
	}
	if withFreq != len(want)+1 {
		t.Errorf("%d keys with an LFU counter, want all %d", withFreq, len(want)+1)
	}
	if expired != 1 {
		t.Errorf("%d already-expired keys in the file, want 1 (ttl:gone)", expired)
	}
	compareSnapshots(t, "RDB", got, want)
	compareSnapshots(t, "RESTORE", snapshot(t, ctx, restored.Addr()), want)
	compareSnapshots(t, "Commands", snapshot(t, ctx, rebuilt.Addr()), want)

	f2, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	sum, err := Inspect(f2, time.UnixMilli(now), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Keys != int64(len(want)+1) || sum.Expired != 1 || len(sum.DBs) != 4 || sum.DBs[3].DB != 15 {
		t.Errorf("Inspect: %d keys, %d expired, dbs %+v; want %d keys, 1 expired, dbs 0 1 5 15", sum.Keys, sum.Expired, sum.DBs, len(want)+1)
	}
	if len(sum.Biggest) != 10 || sum.Biggest[0].Key != "str:big" || sum.Biggest[0].Bytes < 3<<20 {
		t.Errorf("Inspect biggest: %+v", sum.Biggest)
	}
}

func compareSnapshots(t *testing.T, what string, got, want map[string]canon) {
	t.Helper()
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("%s: key %s missing", what, id)
			continue
		}
		if d := sameCanon(g, w); d != "" {
			t.Errorf("%s: key %s: %s", what, id, d)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: unexpected key %s", what, id)
		}
	}
}
