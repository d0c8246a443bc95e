package rdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/cutover/cutover/lab/labtest"
)

// ziplistOf encodes short strings (under 64 bytes) and integers 0..12 as
// Redis 6 does: 1-byte previous lengths, the tail offset at the last entry.
func ziplistOf(items ...any) []byte {
	var body []byte
	prev, last := 0, 10
	for _, it := range items {
		last = 10 + len(body)
		e := []byte{byte(prev)}
		switch v := it.(type) {
		case int:
			e = append(e, 0xF1+byte(v))
		case string:
			e = append(append(e, byte(len(v))), v...)
		}
		body = append(body, e...)
		prev = len(e)
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(10+len(body)+1))
	out = binary.LittleEndian.AppendUint32(out, uint32(last))
	out = binary.LittleEndian.AppendUint16(out, uint16(len(items)))
	return append(append(out, body...), 0xFF)
}

func intsetOf(width int, vals ...int64) []byte {
	out := binary.LittleEndian.AppendUint32(nil, uint32(width))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(vals)))
	for _, v := range vals {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		out = append(out, b[:width]...)
	}
	return out
}

// zipmapOf encodes short field/value pairs without free bytes.
func zipmapOf(pairs ...string) []byte {
	out := []byte{byte(len(pairs) / 2)}
	for i := 0; i < len(pairs); i += 2 {
		out = append(append(out, byte(len(pairs[i]))), pairs[i]...)
		out = append(append(out, byte(len(pairs[i+1])), 0), pairs[i+1]...)
	}
	return append(out, 0xFF)
}

// patched is a copy of b with bytes from off on overwritten.
func patched(b []byte, off int, with ...byte) []byte {
	out := slices.Clone(b)
	copy(out[off:], with)
	return out
}

// encodingCase is one compact encoding, held by a value of type typ (which
// the server test RESTOREs); want is "" for a valid encoding, else a part of
// the error.
type encodingCase struct {
	name  string
	k     small
	typ   byte
	data  []byte
	count int
	want  string
}

func encodingCases() []encodingCase {
	lp := listpackOf("ab", 5) // size 13: header 6, "ab" at 6..9, 5 at 10..11, end at 12
	zl := ziplistOf("ab", 5)  // size 17: header 10, "ab" at 10..13, 5 at 14..15, end at 16
	is := intsetOf(2, 1, 5, 9)
	zm := zipmapOf("f", "v", "g", "w")
	return []encodingCase{
		{"listpack", smallListpack, TypeHashListpack, lp, 2, ""},
		{"listpack of 4", smallListpack, TypeHashListpack, listpackOf("f", 1, "g", strings.Repeat("x", 60)), 4, ""},
		{"listpack empty", smallListpack, TypeHashListpack, listpackOf(), 0, ""},
		{"listpack count unknown", smallListpack, TypeHashListpack, patched(lp, 4, 0xFF, 0xFF), 2, ""},
		{"listpack size header", smallListpack, TypeHashListpack, patched(lp, 0, 14), 0, "header says 14 bytes, string holds 13"},
		{"listpack count header", smallListpack, TypeHashListpack, patched(lp, 4, 4), 0, "header counts 4 elements, found 2"},
		{"listpack end byte", smallListpack, TypeHashListpack, patched(lp, 12, 0xFE), 0, "missing end byte 0xFF"},
		{"listpack entry encoding", smallListpack, TypeHashListpack, patched(lp, 10, 0xF5), 0, "invalid element encoding byte 0xf5"},
		{"listpack end byte inside", smallListpack, TypeHashListpack, patched(lp, 10, 0xFF), 0, "invalid element encoding byte 0xff"},
		{"listpack back-length", smallListpack, TypeHashListpack, patched(lp, 9, 4), 0, "back-length does not match its 3 bytes"},
		{"listpack string length", smallListpack, TypeHashListpack, patched(lp, 6, 0x8A), 0, "string of 10 bytes runs past the end"},
		{"listpack too short", smallListpack, TypeHashListpack, []byte{6, 0, 0, 0, 0, 0xFF}, 0, "too short"},

		{"ziplist", smallZiplist, TypeListZiplist, zl, 2, ""},
		{"ziplist empty", smallZiplist, TypeListZiplist, ziplistOf(), 0, ""},
		{"ziplist 5-byte previous length", smallZiplist, TypeListZiplist,
			[]byte{21, 0, 0, 0, 14, 0, 0, 0, 2, 0, 0, 2, 'a', 'b', 0xFE, 4, 0, 0, 0, 0xF6, 0xFF}, 2, ""},
		{"ziplist size header", smallZiplist, TypeListZiplist, patched(zl, 0, 18), 0, "header says 18 bytes, string holds 17"},
		{"ziplist tail offset", smallZiplist, TypeListZiplist, patched(zl, 4, 10), 0, "header puts the last entry at byte 10, it is at byte 14"},
		{"ziplist count header", smallZiplist, TypeListZiplist, patched(zl, 8, 3), 0, "header counts 3 entries, found 2"},
		{"ziplist previous length", smallZiplist, TypeListZiplist, patched(zl, 14, 5), 0, "entry says the previous one has 5 bytes, it has 4"},
		{"ziplist first previous length", smallZiplist, TypeListZiplist, patched(zl, 10, 1), 0, "entry says the previous one has 1 bytes, it has 0"},
		{"ziplist entry encoding", smallZiplist, TypeListZiplist, patched(zl, 15, 0xC1), 0, "invalid entry encoding byte 0xc1"},
		{"ziplist end byte", smallZiplist, TypeListZiplist, patched(zl, 16, 0), 0, "missing end byte 0xFF"},
		{"ziplist string length", smallZiplist, TypeListZiplist, patched(zl, 11, 0x3F), 0, "string of 63 bytes runs past the end"},

		{"intset", smallIntset, TypeSetIntset, is, 3, ""},
		{"intset 64-bit", smallIntset, TypeSetIntset, intsetOf(8, -1<<40, 0, 1<<40), 3, ""},
		{"intset empty", smallIntset, TypeSetIntset, intsetOf(2), 0, ""},
		{"intset width", smallIntset, TypeSetIntset, patched(is, 0, 3), 0, "invalid integer width 3"},
		{"intset count header", smallIntset, TypeSetIntset, patched(is, 4, 4), 0, "4 integers of 2 bytes do not fill 6 bytes"},
		{"intset order", smallIntset, TypeSetIntset, intsetOf(4, 5, 1), 0, "member 1 is not above the one before it"},
		{"intset duplicate", smallIntset, TypeSetIntset, intsetOf(2, 7, 7), 0, "member 7 is not above the one before it"},

		{"zipmap", smallZipmap, TypeHashZipmap, zm, 2, ""},
		{"zipmap empty", smallZipmap, TypeHashZipmap, zipmapOf(), 0, ""},
		{"zipmap count header", smallZipmap, TypeHashZipmap, patched(zm, 0, 3), 0, "header counts 3 pairs, found 2"},
		{"zipmap end byte", smallZipmap, TypeHashZipmap, patched(zm, len(zm)-1, 0), 0, "missing end byte 0xFF"},
	}
}

func TestElementCount(t *testing.T) {
	for _, c := range encodingCases() {
		n, err := elementCount(c.k, c.data, 100)
		switch {
		case c.want == "" && (err != nil || n != c.count):
			t.Errorf("%s: %d elements, %v; want %d", c.name, n, err, c.count)
		case c.want == "":
			// A valid encoding is empty exactly at its minimal size, which
			// is what the reader relies on without CheckEncodings.
			if (n == 0) != (uint64(len(c.data)) == c.k.emptySize()) {
				t.Errorf("%s: %d elements in %d bytes, empty size %d", c.name, n, len(c.data), c.k.emptySize())
			}
		case err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "at offset 100: "+c.k.String()):
			t.Errorf("%s: got %v, want an error at offset 100 about %q", c.name, err, c.want)
		}
	}
}

// TestEncodingChecksAgreeWithRedis RESTOREs each case into a real Redis
// 7.0 with deep sanitization on: what the check finds broken (or empty)
// the server refuses, and what it passes the server takes. So the check is
// not stricter than the server, and the load's skip of empty values is
// needed.
func TestEncodingChecksAgreeWithRedis(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := labtest.Redis(t, labtest.WithConfig("sanitize-dump-payload yes"))
	c := dbClient(srv.Addr(), 0)
	defer c.Close()
	for i, cs := range encodingCases() {
		raw := (&rdbWriter{}).str(string(cs.data)).b
		err := c.Do(ctx, "RESTORE", fmt.Sprint("k", i), 0, AppendDumpPayload(nil, cs.typ, raw, 10)).Err()
		switch {
		case cs.want == "" && cs.count > 0 && err != nil:
			t.Errorf("%s: the check passes it, the server refuses it: %v", cs.name, err)
		case (cs.want != "" || cs.count == 0) && err == nil:
			t.Errorf("%s: the server takes it, want a refusal (%s)", cs.name, cs.want)
		}
	}
}

// emptyValues holds a value of every type without elements.
func emptyValues() map[string]*rdbWriter {
	w := func() *rdbWriter { return &rdbWriter{} }
	return map[string]*rdbWriter{
		"list":               w().raw(TypeList).str("list").length(0),
		"set":                w().raw(TypeSet).str("set").length(0),
		"zset":               w().raw(TypeZSet).str("zset").length(0),
		"zset2":              w().raw(TypeZSet2).str("zset2").length(0),
		"hash":               w().raw(TypeHash).str("hash").length(0),
		"zipmap":             w().raw(TypeHashZipmap).str("zipmap").str(string(zipmapOf())),
		"list-ziplist":       w().raw(TypeListZiplist).str("list-ziplist").str(string(ziplistOf())),
		"intset":             w().raw(TypeSetIntset).str("intset").str(string(intsetOf(2))),
		"zset-ziplist":       w().raw(TypeZSetZiplist).str("zset-ziplist").str(string(ziplistOf())),
		"hash-ziplist":       w().raw(TypeHashZiplist).str("hash-ziplist").str(string(ziplistOf())),
		"quicklist":          w().raw(TypeListQuicklist).str("quicklist").length(1).str(string(ziplistOf())),
		"hash-listpack":      w().raw(TypeHashListpack).str("hash-listpack").str(string(listpackOf())),
		"zset-listpack":      w().raw(TypeZSetListpack).str("zset-listpack").str(string(listpackOf())),
		"quicklist2":         w().raw(TypeListQuicklist2).str("quicklist2").length(0),
		"quicklist2-nodes":   w().raw(TypeListQuicklist2).str("quicklist2-nodes").length(2).length(2).str(string(listpackOf())).length(2).str(string(listpackOf())),
		"set-listpack":       w().raw(TypeSetListpack).str("set-listpack").str(string(listpackOf())),
		"hash-metadata":      w().raw(TypeHashMetadata).str("hash-metadata").u64(0).length(0),
		"hash-listpack-ex":   w().raw(TypeHashListpackEx).str("hash-listpack-ex").u64(0).str(string(listpackOf())),
		"not:string":         w().raw(TypeString).str("not:string").str(""),
		"not:quicklist2":     w().raw(TypeListQuicklist2).str("not:quicklist2").length(2).length(2).str(string(listpackOf())).length(2).str(string(listpackOf(1))),
		"not:quicklist2-big": w().raw(TypeListQuicklist2).str("not:quicklist2-big").length(1).length(1).str(""),
		"not:hash-listpack":  w().raw(TypeHashListpack).str("not:hash-listpack").str(string(listpackOf("f", "v"))),
		"not:stream":         w().raw(TypeStreamListpacks3).str("not:stream").length(0).length(0).length(0).length(0).length(0).length(0).length(0).length(0).length(0).length(0),
	}
}

func emptyFile() []byte {
	w := (&rdbWriter{}).raw([]byte("REDIS0012")...)
	vals := emptyValues()
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range vals {
			if !yield(k) {
				return
			}
		}
	}) {
		w.raw(vals[name].b...)
	}
	// An expired empty value is counted as expired, not as empty.
	w.raw(opExpireMS).u64(1000).raw(TypeSet).str("expired").length(0)
	return w.end(true)
}

func TestEmptyValues(t *testing.T) {
	data := emptyFile()
	for _, check := range []bool{false, true} {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if check {
			r.CheckEncodings()
		}
		seen := 0
		for {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("check %v: %v", check, err)
			}
			seen++
			if want := !strings.HasPrefix(string(e.Key), "not:"); e.Empty != want {
				t.Errorf("check %v: %s: Empty %v, want %v", check, e.Key, e.Empty, want)
			}
		}
		if seen != len(emptyValues())+1 {
			t.Errorf("check %v: %d keys", check, seen)
		}
	}
	sum, err := Inspect(bytes.NewReader(data), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Empty != 18 || sum.DBs[0].Empty != 18 || len(sum.EmptyKeys) != emptyKept || sum.Loadable() != 5 || sum.DBs[0].Loadable() != 5 {
		t.Fatalf("summary: %d empty, %+v, loadable %d", sum.Empty, sum.DBs, sum.Loadable())
	}
	want := `18 collections without elements (db0 hash (hash), db0 hash-listpack (hash), db0 hash-listpack-ex (hash), ...), which old servers could write: the load skips them`
	if len(sum.Warnings) != 1 || !strings.HasPrefix(sum.Warnings[0], want) {
		t.Fatalf("warnings %q", sum.Warnings)
	}
}

// A broken encoding passes Next without CheckEncodings (only the target
// would notice) and is refused by Inspect, naming the key and the problem.
func TestBrokenEncodingNamesTheKey(t *testing.T) {
	zl := ziplistOf("a", "b", 3)
	for name, c := range map[string]struct {
		w    *rdbWriter
		want string
	}{
		"ziplist": {(&rdbWriter{}).raw(TypeHashZiplist).str("h:1").str(string(patched(zl, 4, 20))),
			`key h:1 in db 0 (HASH_ZIPLIST): ziplist in this string, byte 18: header puts the last entry at byte 20, it is at byte 16`},
		"ziplist odd": {(&rdbWriter{}).raw(TypeHashZiplist).str("h:2").str(string(zl)),
			`key h:2 in db 0 (HASH_ZIPLIST): the ziplist holds 3 elements, not groups of 2`},
		"quicklist node": {(&rdbWriter{}).raw(TypeListQuicklist2).str("l").length(1).length(2).str(string(patched(listpackOf("x"), 8, 9))),
			`key l in db 0 (LIST_QUICKLIST_2): listpack in this string, byte 6: element back-length does not match its 2 bytes`},
		"quicklist container": {(&rdbWriter{}).raw(TypeListQuicklist2).str("l").length(1).length(3).str(""),
			`key l in db 0 (LIST_QUICKLIST_2): quicklist node container 3, want 1 (plain) or 2 (packed)`},
		"stream node": {(&rdbWriter{}).raw(TypeStreamListpacks3).str("x").length(1).str(strings.Repeat("\x00", 16)).str(string(listpackOf())),
			`key x in db 0 (STREAM_LISTPACKS_3): empty listpack in a stream`},
		"stream key": {(&rdbWriter{}).raw(TypeStreamListpacks3).str("x").length(1).str("short").str(string(listpackOf(1))),
			`key x in db 0 (STREAM_LISTPACKS_3): stream node key has 5 bytes, want a 16-byte ID`},
	} {
		w := (&rdbWriter{}).raw([]byte("REDIS0009")...)
		w.raw(TypeString).str("before").str("v").raw(c.w.b...).raw(TypeString).str("after").str("v")
		data := w.end(false)
		if !strings.HasPrefix(name, "stream") && !strings.HasSuffix(name, "container") {
			if err, _ := readAll(data); err != nil {
				t.Errorf("%s: Next without checks: %v", name, err)
			}
		}
		sum, err := Inspect(bytes.NewReader(data), time.Now(), nil)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), c.want) || sum.Keys != 1 {
			t.Errorf("%s: got %v after %d keys\nwant %s", name, err, sum.Keys, c.want)
		}
	}
}

func TestModuleWarnings(t *testing.T) {
	sum, err := Inspect(bytes.NewReader(syntheticRDB(true)), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("module type ReJSON-RL (id %d, encoding version 3): 1 key: the target refuses them unless it loads this module; "+
		"1 aux record (the module's own data outside the keys): RESTORE cannot carry it, so the load drops it", moduleID("ReJSON-RL", 3))
	if len(sum.Warnings) != 1 || !strings.HasPrefix(sum.Warnings[0], want) {
		t.Fatalf("warnings %q\nwant %s", sum.Warnings, want)
	}
}

func TestTrailingBytes(t *testing.T) {
	rdbPart := (&rdbWriter{}).raw([]byte("REDIS0011")...).raw(TypeString).str("k").str("v").end(true)
	aof := "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nw\r\n"
	for name, c := range map[string]struct {
		tail string
		aof  bool
	}{
		"none": {"", false}, "aof": {aof, true}, "one byte": {"*", false}, "garbage": {strings.Repeat("\x00", 3<<20), false},
	} {
		data := append(slices.Clone(rdbPart), c.tail...)
		for _, r := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data))} {
			sum, err := Inspect(r, time.Now(), nil)
			if err != nil || sum.Bytes != int64(len(rdbPart)) || sum.TrailingBytes != int64(len(c.tail)) || sum.TrailingAOF != c.aof {
				t.Errorf("%s: %v: bytes %d, trailing %d (AOF %v)", name, err, sum.Bytes, sum.TrailingBytes, sum.TrailingAOF)
			}
		}
	}
	// A read error after the RDB's end is an error, not a short tail.
	boom := errors.New("disk gone")
	_, err := Inspect(io.MultiReader(bytes.NewReader(rdbPart), strings.NewReader(aof), iotest.ErrReader(boom)), time.Now(), nil)
	var re *ReadError
	if !errors.As(err, &re) || !errors.Is(err, boom) {
		t.Fatalf("read error after the end: %v", err)
	}
}
