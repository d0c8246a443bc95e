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

// TestOldFormatsAgainstRedis loads RDB files written by old Redis versions
// into a real redis-server 7.0 (DEBUG RELOAD NOSAVE) and compares what it
// holds with what the reader decodes from the same file. Then it saves them
// again with an LRU policy, so the file carries IDLE records, and compares
// once more.
func TestOldFormatsAgainstRedis(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := labtest.Redis(t, labtest.WithConfig("enable-debug-command yes"))
	c := dbClient(srv.Addr(), 0)
	defer c.Close()
	dump := filepath.Join(srv.Dir, "dump.rdb")
	files, err := filepath.Glob("testdata/redis-assets/*.rdb")
	if err != nil || len(files) < 5 {
		t.Fatalf("assets: %v %v", files, err)
	}
	types := map[byte]bool{}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dump, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := c.Do(ctx, "DEBUG", "RELOAD", "NOSAVE").Err(); err != nil {
			t.Fatalf("%s: DEBUG RELOAD: %v", path, err)
		}
		want := snapshot(t, ctx, srv.Addr())
		got, seen, _ := decodeFile(t, path)
		compareSnapshots(t, filepath.Base(path), got, want)
		for typ := range seen {
			types[typ] = true
		}

		// Written again by 7.0 with an LRU policy: RDB 10 with IDLE records.
		for _, cmd := range [][]any{{"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}, {"SAVE"}, {"CONFIG", "SET", "maxmemory-policy", "noeviction"}} {
			if err := c.Do(ctx, cmd...).Err(); err != nil {
				t.Fatal(err)
			}
		}
		got, _, idle := decodeFile(t, dump)
		compareSnapshots(t, filepath.Base(path)+" re-saved", got, want)
		if idle != len(want) {
			t.Errorf("%s re-saved: %d keys carry IDLE, want all %d", path, idle, len(want))
		}
	}
	for _, typ := range []byte{TypeList, TypeSet, TypeZSet, TypeHash, TypeHashZipmap, TypeListZiplist,
		TypeSetIntset, TypeZSetZiplist, TypeHashZiplist, TypeListQuicklist} {
		if !types[typ] {
			t.Errorf("no key of type %s in the old files", TypeName(typ))
		}
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
