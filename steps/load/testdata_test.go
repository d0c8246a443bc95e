package load

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/steps/parity"
	"github.com/cutover/cutover/steps/rdb"
)

// fileKey is a key as the file holds it.
type fileKey struct {
	db       int
	name     string
	typ      byte
	value    rdb.Value
	expireMS int64
}

func fileKeys(t *testing.T, path string) []fileKey {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := rdb.NewReader(bufio.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	var keys []fileKey
	for {
		e, err := rd.Next()
		if err == io.EOF {
			return keys
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != rdb.KeyEntry {
			continue
		}
		v, err := e.Decode()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, fileKey{e.DB, string(e.Key), e.Type, v, e.ExpireMS})
	}
}

// withoutFieldTTLs is what a target without hash field expiry holds.
func withoutFieldTTLs(v rdb.Value) rdb.Value {
	h, ok := v.(rdb.Hash)
	if !ok {
		return v
	}
	out := slices.Clone(h)
	for i := range out {
		out[i].ExpireMS = -1
	}
	return out
}

// Every testdata file goes into the local Redis 7.0 as far as it can hold
// it: newer encodings are rebuilt with commands, field TTLs are reported
// per key, and a second load with replace changes nothing.
func TestLoadTestdataIntoRedis70(t *testing.T) {
	testdata := labtest.RDBTestdata(t)
	files, _ := filepath.Glob(filepath.Join(testdata, "*.rdb"))
	if len(files) == 0 {
		t.Fatalf("no testdata RDB files in %s", testdata)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			sum := verified(t, path)
			keys := fileKeys(t, path)
			dst := labtest.Redis(t)
			c := client(dst, 0)
			defer c.Close()
			ctx := context.Background()
			st, err := Load(ctx, c, path, sum, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if st.Target.RDBVersion != 10 || st.Target.Caps.HashFieldTTL {
				t.Fatalf("target probed as %+v, want Redis 7.0 (RDB 10, no field TTLs)", st.Target)
			}
			if st.Failed != 0 || st.Keys != int64(len(keys)) {
				t.Fatalf("loaded %d of %d keys, %d refused: %v", st.Keys, len(keys), st.Failed, st.Failures)
			}
			if st.Functions != len(sum.Functions) {
				t.Fatalf("%d function libraries loaded, file has %d", st.Functions, len(sum.Functions))
			}
			var restorable, ttlKeys int64
			for _, k := range keys {
				if rdb.RestorableOn(k.typ, 10) {
					restorable++
				}
				if h, ok := k.value.(rdb.Hash); ok && slices.ContainsFunc(h, func(f rdb.HashField) bool { return f.ExpireMS >= 0 }) {
					ttlKeys++
					if !slices.ContainsFunc(st.Warnings, func(w string) bool { return strings.Contains(w, k.name) }) {
						t.Errorf("no warning names %q, whose field TTLs the target cannot hold; warnings: %q", k.name, st.Warnings)
					}
				}
			}
			if st.Restored != restorable || st.Native != int64(len(keys))-restorable {
				t.Fatalf("%d restored and %d rebuilt; want %d and %d", st.Restored, st.Native, restorable, int64(len(keys))-restorable)
			}
			if base := filepath.Base(path); strings.HasPrefix(base, "redis-7.4") || strings.HasPrefix(base, "redis-8.0") || strings.HasPrefix(base, "valkey-9") {
				if ttlKeys == 0 {
					t.Fatal("expected keys with field TTLs in this file")
				}
			}
			check := func() {
				for _, k := range keys {
					cc := client(dst, k.db)
					got, ok := read(t, cc, k.name)
					cc.Close()
					if !ok {
						t.Fatalf("db%d %q is missing on the target", k.db, k.name)
					}
					if d := parity.Diff(withoutFieldTTLs(k.value), got.value, time.Second); d != "" {
						t.Fatalf("db%d %q: %s", k.db, k.name, d)
					}
					if k.expireMS >= 0 {
						want := time.Until(time.UnixMilli(k.expireMS))
						if (got.pttl - want).Abs() > 2*time.Second {
							t.Fatalf("db%d %q: TTL %s, want about %s", k.db, k.name, got.pttl, want)
						}
					} else if got.pttl >= 0 {
						t.Fatalf("db%d %q has TTL %s on the target and none in the file", k.db, k.name, got.pttl)
					}
				}
			}
			check()
			if _, err := Load(ctx, c, path, sum, Options{Existing: Replace}); err != nil {
				t.Fatal(err)
			}
			check()
			for _, db := range sum.DBs {
				if n := dbsize(t, dst, db.DB); n != db.Keys {
					t.Fatalf("db%d holds %d keys after two loads, the file %d", db.DB, n, db.Keys)
				}
			}
		})
	}
}
