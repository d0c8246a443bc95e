package load

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/steps/rdb"
)

// savedStrings is a real redis-server's SAVE of n string keys, cut before
// its EOF opcode and checksum so that records can be appended.
func savedStrings(t *testing.T, n int) []byte {
	t.Helper()
	src := labtest.Redis(t)
	c := client(src, 0)
	defer c.Close()
	ctx := context.Background()
	for i := range n {
		if err := c.Set(ctx, fmt.Sprint("s:", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(src.Dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	return data[:len(data)-9]
}

// str is an RDB string of fewer than 64 bytes.
func str(b string) []byte { return append([]byte{byte(len(b))}, b...) }

// closed appends the EOF opcode and the CRC64 of the file, or 0 (the writer
// had rdbchecksum off), and writes the file.
func closed(t *testing.T, body []byte, withCRC bool) string {
	t.Helper()
	body = append(body, 0xFF)
	sum := uint64(0)
	if withCRC {
		sum = rdb.CRC64(0, body)
	}
	path := filepath.Join(t.TempDir(), "made.rdb")
	if err := os.WriteFile(path, binary.LittleEndian.AppendUint64(body, sum), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A file whose CRC is disabled and whose last key holds a broken ziplist:
// the verify pass refuses it, naming the key and the damage, before
// anything reaches the target (without it, the target took 53 keys and
// refused the 54th).
func TestBrokenZiplistRefusedBeforeWriting(t *testing.T) {
	t.Parallel()
	body := savedStrings(t, 53)
	// HASH_ZIPLIST "f" -> "v"; the second entry claims a 5-byte previous
	// entry, the first has 3.
	zl := []byte{17, 0, 0, 0, 13, 0, 0, 0, 2, 0, 0, 1, 'f', 5, 1, 'v', 0xFF}
	body = append(append(append(body, rdb.TypeHashZiplist), str("h:broken")...), str(string(zl))...)
	path := closed(t, body, false)
	dst := labtest.Redis(t)
	c := client(dst, 0)
	defer c.Close()
	_, st, err := File(context.Background(), c, path, Options{})
	if err == nil || st != nil {
		t.Fatalf("the load went ahead: %+v", st)
	}
	for _, want := range []string{"refusing to load", "key h:broken in db 0 (HASH_ZIPLIST)", "entry says the previous one has 5 bytes, it has 3", "nothing was written"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	if n := dbsize(t, dst, 0); n != 0 {
		t.Fatalf("DBSIZE %d after the refused load, want 0", n)
	}
}

// Empty collections, as old servers wrote them, are skipped with a warning
// per key and the other keys land; the server itself skips them the same
// way when it loads the file.
func TestEmptyCollectionsSkipped(t *testing.T) {
	t.Parallel()
	body := savedStrings(t, 20)
	empty := map[string][]byte{ // key -> type byte and value
		"e:set":       {rdb.TypeSet, 0},
		"e:hash":      {rdb.TypeHash, 0},
		"e:zset":      {rdb.TypeZSet2, 0},
		"e:list":      {rdb.TypeListQuicklist2, 0},
		"e:list-node": append([]byte{rdb.TypeListQuicklist2, 1, 2}, str("\x07\x00\x00\x00\x00\x00\xff")...),
		"e:hash-lp":   append([]byte{rdb.TypeHashListpack}, str("\x07\x00\x00\x00\x00\x00\xff")...),
		// No empty intset here: redis-server refuses a whole file for one
		// ("Intset integrity check failed"); steps/rdb's tests cover its skip.
		"e:ziplist-zs": append([]byte{rdb.TypeZSetZiplist}, str("\x0b\x00\x00\x00\x0a\x00\x00\x00\x00\x00\xff")...),
	}
	for k, v := range empty {
		body = append(append(append(body, v[0]), str(k)...), v[1:]...)
	}
	path := closed(t, body, true)

	dst := labtest.Redis(t)
	c := client(dst, 0)
	defer c.Close()
	var logs []string
	sum, st, err := File(context.Background(), c, path, Options{Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatal(err)
	}
	if st.Keys != 20 || st.Empty != 7 || st.Failed != 0 || sum.Empty != 7 || sum.Loadable() != 20 {
		t.Fatalf("%d keys, %d empty skipped, %d refused; summary %d empty", st.Keys, st.Empty, st.Failed, sum.Empty)
	}
	if n := dbsize(t, dst, 0); n != 20 {
		t.Fatalf("DBSIZE %d, want the 20 other keys", n)
	}
	if len(logs) == 0 || !strings.HasPrefix(logs[0], "warning: 7 collections without elements") || st.Warnings[0] != strings.TrimPrefix(logs[0], "warning: ") {
		t.Errorf("the summary's warning is not logged before the load: %q", logs)
	}
	for k, v := range empty {
		want := fmt.Sprintf("db0 %s: empty %s in the file: skipped", k, rdb.KindOf(v[0]))
		if !strings.Contains(strings.Join(st.Warnings, "\n"), want) {
			t.Errorf("no warning %q in %q", want, st.Warnings)
		}
	}

	// The server loading the file itself (method=restart) keeps the same 20.
	own := labtest.Redis(t, labtest.WithConfig("enable-debug-command yes"))
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(filepath.Join(own.Dir, "dump.rdb"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	oc := client(own, 0)
	defer oc.Close()
	if err := oc.Do(context.Background(), "DEBUG", "RELOAD", "NOSAVE").Err(); err != nil {
		log, _ := os.ReadFile(filepath.Join(own.Dir, "redis.log"))
		t.Fatalf("%v\n%s", err, log)
	}
	if n := dbsize(t, own, 0); n != 20 {
		t.Fatalf("redis-server loading the file holds %d keys, want 20", n)
	}
}
