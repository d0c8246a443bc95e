package rdb

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/labtest"
)

// TestIdleRecordsAgainstRedis saves a real redis-server 7.0 under an LRU
// policy, so every key carries an IDLE record, and compares what the
// reader decodes with what the server holds.
func TestIdleRecordsAgainstRedis(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := labtest.Redis(t)
	c := dbClient(srv.Addr(), 0)
	defer c.Close()
	for i, cmd := range [][]any{
		{"SET", "s", "v"}, {"RPUSH", "l", "a", "b"}, {"SADD", "set", "x", "1"}, {"ZADD", "z", "1.5", "m"},
		{"HSET", "h", "f", "v"}, {"SET", "n", "12345"},
		{"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}, {"SAVE"}, {"CONFIG", "SET", "maxmemory-policy", "noeviction"},
	} {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("command %d %v: %v", i, cmd, err)
		}
	}
	want := snapshot(t, ctx, srv.Addr())
	got, _, idle := decodeFile(t, filepath.Join(srv.Dir, "dump.rdb"))
	compareSnapshots(t, "LRU save", got, want)
	if idle != len(want) {
		t.Errorf("%d keys carry IDLE, want all %d", idle, len(want))
	}
}

// decodeFile decodes every key of an RDB file into canon form, with the
// types seen and how many keys had an LRU idle time.
func decodeFile(t *testing.T, path string) (map[string]canon, map[byte]bool, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out, types, idle := map[string]canon{}, map[byte]bool{}, 0
	for {
		e, err := r.Next()
		if err == io.EOF {
			return out, types, idle
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if e.Kind != KeyEntry {
			continue
		}
		v, err := e.Decode()
		if err != nil {
			t.Fatalf("%s: key %q: %v", path, e.Key, err)
		}
		out[fmt.Sprint(e.DB, "/", b64(e.Key))] = canonOf(e.Key, v, e.ExpireMS)
		types[e.Type] = true
		if e.Idle >= 0 {
			idle++
		}
	}
}
