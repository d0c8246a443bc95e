package rdb

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func TestCRC64CheckValue(t *testing.T) {
	// The check value in Redis's crc64.c.
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("CRC64(123456789) = %016x", got)
	}
	// Chunked updates equal one pass, across the 8-byte stride.
	data := bytes.Repeat([]byte("0123456789abcdefXYZ"), 100)
	whole := CRC64(0, data)
	for _, cut := range []int{1, 7, 8, 9, 1000} {
		if got := CRC64(CRC64(0, data[:cut]), data[cut:]); got != whole {
			t.Fatalf("split at %d: %016x != %016x", cut, got, whole)
		}
	}
}

func TestDumpPayloadRoundTrip(t *testing.T) {
	raw := []byte{0x05, 'h', 'e', 'l', 'l', 'o'}
	p := AppendDumpPayload(nil, TypeString, raw, 10)
	typ, got, ver, err := ParseDumpPayload(p)
	if err != nil || typ != TypeString || !bytes.Equal(got, raw) || ver != 10 {
		t.Fatalf("ParseDumpPayload = %d %q %d %v", typ, got, ver, err)
	}
	p[3] ^= 1
	if _, _, _, err := ParseDumpPayload(p); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("damaged payload: %v", err)
	}
	if _, _, _, err := ParseDumpPayload(p[:5]); err == nil {
		t.Fatal("short payload accepted")
	}
}

func TestRestorableOn(t *testing.T) {
	cases := []struct {
		typ    byte
		target int
		want   bool
	}{
		{TypeListQuicklist2, 10, true},
		{TypeSetListpack, 10, false},
		{TypeSetListpack, 11, true},
		{TypeStreamListpacks3, 11, true},
		{TypeHashListpackEx, 12, true},
		{TypeHashListpackEx, 11, false},
		{TypeHashMetadata, ValkeyVersion, false}, // Valkey does not know Redis's HFE types
		{TypeHash2, 12, false},                   // Redis reads 22 as its pre-release format
		{TypeHash2, ValkeyVersion, true},
		{TypeStreamListpacks3, ValkeyVersion, true},
		{TypeHashListpackExPreGA, 12, false},
		{200, 12, false},
	}
	for _, c := range cases {
		if got := RestorableOn(c.typ, c.target); got != c.want {
			t.Errorf("RestorableOn(%s, %d) = %v", TypeName(c.typ), c.target, got)
		}
	}
}

func TestCapabilitiesFor(t *testing.T) {
	cases := map[[2]string]Capabilities{
		{"6.2.14", ""}:     {},
		{"7.0.15", ""}:     {StreamMeta: true},
		{"7.4.1", ""}:      {StreamMeta: true, HashFieldTTL: true},
		{"7.9.224", ""}:    {StreamMeta: true, HashFieldTTL: true},
		{"7.2.4", "8.1.7"}: {StreamMeta: true},
		{"7.2.4", "9.0.4"}: {StreamMeta: true, HashFieldTTL: true},
		{"garbage", ""}:    {},
	}
	for in, want := range cases {
		if got := CapabilitiesFor(in[0], in[1]); got != want {
			t.Errorf("CapabilitiesFor(%q, %q) = %+v, want %+v", in[0], in[1], got, want)
		}
	}
}

func collect(t *testing.T, key string, v Value, exp int64, caps Capabilities) ([][]any, []string) {
	t.Helper()
	var cmds [][]any
	warnings, err := Commands([]byte(key), v, exp, caps, func(a []any) error { cmds = append(cmds, a); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return cmds, warnings
}

func TestCommandsAreBounded(t *testing.T) {
	list := make(List, 2500)
	for i := range list {
		list[i] = []byte(fmt.Sprint(i))
	}
	cmds, _ := collect(t, "l", list, 4102444800000, Capabilities{})
	// DEL, 3 RPUSH of at most 1000 elements, PEXPIREAT.
	if len(cmds) != 5 || cmds[0][0] != "DEL" || len(cmds[1]) != 1002 || len(cmds[3]) != 502 || cmds[4][0] != "PEXPIREAT" || cmds[4][2] != "4102444800000" {
		t.Fatalf("list commands: %d, shapes %v", len(cmds), shapes(cmds))
	}
	big := bytes.Repeat([]byte("x"), 2*stringChunk+10)
	cmds, _ = collect(t, "s", String(big), -1, Capabilities{})
	if len(cmds) != 4 || cmds[1][0] != "SET" || cmds[2][0] != "APPEND" || len(cmds[3][2].([]byte)) != 10 {
		t.Fatalf("string commands: %v", shapes(cmds))
	}
	z := ZSet{{Member: []byte("a"), Score: math.Inf(-1)}, {Member: []byte("b"), Score: 0.1}, {Member: []byte("c"), Score: math.Inf(1)}}
	cmds, _ = collect(t, "z", z, -1, Capabilities{})
	if fmt.Sprint(cmds[1]) != "[ZADD [122] -inf [97] 0.1 [98] +inf [99]]" {
		t.Fatalf("ZADD: %v", cmds[1])
	}
}

func shapes(cmds [][]any) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, fmt.Sprint(c[0], "/", len(c)))
	}
	return out
}

func TestCommandsFieldTTLs(t *testing.T) {
	h := Hash{
		{Field: []byte("a"), Value: []byte("1"), ExpireMS: 4102444800010},
		{Field: []byte("b"), Value: []byte("2"), ExpireMS: -1},
		{Field: []byte("c"), Value: []byte("3"), ExpireMS: 4102444800010},
		{Field: []byte("d"), Value: []byte("4"), ExpireMS: 4102444800020},
	}
	cmds, warnings := collect(t, "h", h, -1, Capabilities{HashFieldTTL: true})
	got := fmt.Sprintf("%s", cmds)
	want := "[[DEL h] [HSET h a 1 b 2 c 3 d 4] [HPEXPIREAT h 4102444800010 FIELDS 2 a c] [HPEXPIREAT h 4102444800020 FIELDS 1 d]]"
	if got != want || len(warnings) != 0 {
		t.Fatalf("with HPEXPIREAT:\n got  %s\n want %s\n warnings %q", got, want, warnings)
	}
	cmds, warnings = collect(t, "h", h, -1, Capabilities{})
	if len(cmds) != 2 || len(warnings) != 1 || !strings.Contains(warnings[0], `key "h": 3 field TTL(s)`) {
		t.Fatalf("without HPEXPIREAT: %s %q", cmds, warnings)
	}
}

func TestCommandsStreamWarnings(t *testing.T) {
	st := &Stream{
		Entries:      []StreamEntry{{ID: StreamID{1, 1}, Fields: [][]byte{[]byte("f"), []byte("v")}}},
		Length:       1,
		LastID:       StreamID{1, 3},
		MaxDeletedID: StreamID{1, 2},
		EntriesAdded: 3,
		Groups: []StreamGroup{{Name: []byte("g"), EntriesRead: 1, EntriesReadKnown: true,
			Pending: []PendingEntry{
				{ID: StreamID{1, 1}, Consumer: []byte("c"), DeliveryTimeMS: 5, DeliveryCount: 2},
				{ID: StreamID{1, 2}, Consumer: []byte("c"), DeliveryTimeMS: 5, DeliveryCount: 2},
			},
			Consumers: []Consumer{{Name: []byte("c"), Pending: []StreamID{{1, 1}, {1, 2}}}}}},
	}
	cmds, warnings := collect(t, "s", st, -1, Capabilities{StreamMeta: true})
	got := fmt.Sprintf("%s", cmds)
	want := "[[DEL s] [XADD s 1-1 f v] [XSETID s 1-3 ENTRIESADDED 3 MAXDELETEDID 1-2] [XGROUP CREATE s g 0-0 ENTRIESREAD 1] [XGROUP CREATECONSUMER s g c] [XCLAIM s g c 0 1-1 TIME 5 RETRYCOUNT 2 FORCE JUSTID]]"
	if got != want {
		t.Fatalf("\n got  %s\n want %s", got, want)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "1 pending entries refer to deleted") {
		t.Fatalf("warnings %q", warnings)
	}
	_, warnings = collect(t, "s", st, -1, Capabilities{})
	if len(warnings) != 3 {
		t.Fatalf("without stream metadata commands: %q", warnings)
	}
}

func TestInspectTestdata(t *testing.T) {
	for _, path := range testdataFiles(t) {
		m := loadManifest(t, path)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var calls []Progress
		sum, err := Inspect(f, time.Now(), func(p Progress) { calls = append(calls, p) })
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		dbs := map[string]int{}
		for _, d := range sum.DBs {
			dbs[fmt.Sprint(d.DB)] = int(d.Keys)
			if d.HintKeys != uint64(d.Keys) {
				t.Errorf("%s: db %d RESIZEDB hint %d != %d keys", path, d.DB, d.HintKeys, d.Keys)
			}
		}
		expiring := 0
		for _, k := range m.Keys {
			if k.ExpireMS >= 0 {
				expiring++
			}
		}
		fi, _ := os.Stat(path)
		if fmt.Sprint(dbs) != fmt.Sprint(m.DBSize) || sum.Keys != int64(len(m.Keys)) || sum.Expiring != int64(expiring) ||
			sum.Expired != 0 || sum.Bytes != fi.Size() || sum.Checksum.Status != "verified" ||
			sum.Empty != 0 || len(sum.Warnings) != 0 || sum.TrailingBytes != 0 || sum.Loadable() != sum.Keys {
			t.Errorf("%s: summary %+v", path, sum)
		}
		if len(sum.Functions) != 1 || sum.Functions[0].Library != "testlib" || sum.Functions[0].Engine != "lua" {
			t.Errorf("%s: functions %+v", path, sum.Functions)
		}
		if !strings.HasPrefix(sum.Engine, "redis 7") && !strings.HasPrefix(sum.Engine, "valkey ") {
			t.Errorf("%s: engine %q", path, sum.Engine)
		}
		if len(calls) == 0 || calls[len(calls)-1].Bytes != fi.Size() || calls[len(calls)-1].Keys != sum.Keys {
			t.Errorf("%s: progress %+v", path, calls)
		}
		// Everything expired relative to a far-future now.
		f, _ = os.Open(path)
		late, err := Inspect(f, time.UnixMilli(5e12), nil)
		f.Close()
		if err != nil || late.Expired != int64(expiring) {
			t.Errorf("%s: far-future now: %d expired, want %d (%v)", path, late.Expired, expiring, err)
		}
	}
}
