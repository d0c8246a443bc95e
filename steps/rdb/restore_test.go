package rdb

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/labtest"
)

// TestTestdataIntoRedis70 loads every newer engine's file into a real Redis
// 7.0 (RDB 10) the way a loader would: RESTORE with the payload re-stamped
// to version 10 when RestorableOn allows, else Commands. The server's
// contents must then equal the manifest, except field TTLs, which 7.0
// cannot hold and which must come back as one warning per such key. The
// function library must load with FUNCTION LOAD.
func TestTestdataIntoRedis70(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := labtest.Redis(t)
	admin := dbClient(srv.Addr(), 0)
	defer admin.Close()
	caps := CapabilitiesFor("7.0.15", "")
	for _, path := range testdataFiles(t) {
		name := filepath.Base(path)
		m := loadManifest(t, path)
		if err := admin.Do(ctx, "FLUSHALL").Err(); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		restoredTypes, rebuiltTypes := map[byte]bool{}, map[byte]bool{}
		warned := map[string]bool{}
		for {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			c := dbClient(srv.Addr(), e.DB)
			if e.Kind == FunctionEntry {
				if err := c.Do(ctx, "FUNCTION", "LOAD", "REPLACE", e.Value).Err(); err != nil {
					t.Errorf("%s: FUNCTION LOAD: %v", name, err)
				}
			}
			if e.Kind != KeyEntry {
				c.Close()
				continue
			}
			if RestorableOn(e.Type, 10) {
				restoredTypes[e.Type] = true
				err = c.Do(ctx, "RESTORE", e.Key, max(e.ExpireMS, 0), AppendDumpPayload(nil, e.Type, e.Raw, 10), "ABSTTL").Err()
			} else {
				rebuiltTypes[e.Type] = true
				var v Value
				if v, err = e.Decode(); err == nil {
					var warnings []string
					warnings, err = Commands(e.Key, v, e.ExpireMS, caps, func(args []any) error { return c.Do(ctx, args...).Err() })
					for _, w := range warnings {
						if !strings.Contains(w, "HPEXPIREAT") {
							t.Errorf("%s: unexpected warning %s", name, w)
						}
						warned[fmt.Sprint(e.DB, "/", b64(e.Key))] = true
					}
				}
			}
			c.Close()
			if err != nil {
				t.Fatalf("%s: key %q (type %d): %v", name, e.Key, e.Type, err)
			}
		}
		f.Close()
		got := snapshot(t, ctx, srv.Addr())
		want := map[string]canon{}
		for _, k := range m.Keys {
			id := fmt.Sprint(k.DB, "/", k.Key)
			c := canonManifest(t, k)
			if c.FieldTTL != nil != warned[id] {
				t.Errorf("%s: key %s: field TTLs %v but warned %v", name, id, c.FieldTTL, warned[id])
			}
			c.FieldTTL = nil
			want[id] = c
		}
		compareSnapshots(t, name, got, want)
		libs, err := admin.Do(ctx, "FUNCTION", "LIST", "LIBRARYNAME", "testlib").Slice()
		if err != nil || len(libs) != 1 {
			t.Errorf("%s: function library testlib not loaded: %v %v", name, libs, err)
		}
		if !rebuiltTypes[TypeStreamListpacks3] || !restoredTypes[TypeListQuicklist2] {
			t.Errorf("%s: expected streams rebuilt and lists restored; restored %v rebuilt %v", name, restoredTypes, rebuiltTypes)
		}
	}
}
