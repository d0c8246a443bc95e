package rdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// rdbWriter builds RDB bytes by hand for records no available server
// writes: module data, slot info, second-precision expiry, the 7.0-rc
// function record and the Redis 5/6 stream format.
type rdbWriter struct{ b []byte }

func (w *rdbWriter) raw(b ...byte) *rdbWriter { w.b = append(w.b, b...); return w }

func (w *rdbWriter) length(n uint64) *rdbWriter {
	switch {
	case n < 1<<6:
		return w.raw(byte(n))
	case n < 1<<14:
		return w.raw(byte(n>>8)|0x40, byte(n))
	case n <= 0xFFFFFFFF:
		w.raw(0x80)
		w.b = binary.BigEndian.AppendUint32(w.b, uint32(n))
	default:
		w.raw(0x81)
		w.b = binary.BigEndian.AppendUint64(w.b, n)
	}
	return w
}

func (w *rdbWriter) str(s string) *rdbWriter { return w.length(uint64(len(s))).raw([]byte(s)...) }
func (w *rdbWriter) u64(v uint64) *rdbWriter {
	w.b = binary.LittleEndian.AppendUint64(w.b, v)
	return w
}
func (w *rdbWriter) id(ms, seq uint64) *rdbWriter {
	w.b = binary.BigEndian.AppendUint64(w.b, ms)
	w.b = binary.BigEndian.AppendUint64(w.b, seq)
	return w
}

// end appends the EOF opcode and the checksum (CRC64 of everything, or 0).
func (w *rdbWriter) end(withCRC bool) []byte {
	w.raw(opEOF)
	sum := uint64(0)
	if withCRC {
		sum = CRC64(0, w.b)
	}
	return w.u64(sum).b
}

// listpackOf encodes small ints (0..127) and short strings.
func listpackOf(items ...any) []byte {
	var body []byte
	for _, it := range items {
		switch v := it.(type) {
		case int:
			body = append(body, byte(v), 1)
		case string:
			body = append(body, 0x80|byte(len(v)))
			body = append(body, v...)
			body = append(body, byte(1+len(v)))
		}
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(6+len(body)+1))
	out = binary.LittleEndian.AppendUint16(out, uint16(len(items)))
	return append(append(out, body...), 0xFF)
}

// moduleID packs a 9-character module type name and encoding version.
func moduleID(name string, version uint64) uint64 {
	const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	id := uint64(0)
	for _, c := range []byte(name) {
		id = id<<6 | uint64(strings.IndexByte(charset, c))
	}
	return id<<10 | version
}

func syntheticRDB(withCRC bool) []byte {
	mod := moduleID("ReJSON-RL", 3)
	w := &rdbWriter{}
	w.raw([]byte("REDIS0012")...)
	w.raw(opAux).str("redis-ver").str("7.4.0")
	// MODULE_AUX: id, when-opcode (uint), when, typed fields, EOF.
	w.raw(opModuleAux).length(mod).length(moduleOpUint).length(2)
	w.length(moduleOpUint).length(42).length(moduleOpString).str("x").length(moduleOpDouble).u64(0)
	w.length(moduleOpFloat).raw(0, 0, 0, 0).length(moduleOpSint).length(7).length(moduleOpEOF)
	// The Redis 7.0-rc1/rc2 function record.
	w.raw(opFunctionPreGA).str("mylib").str("LUA").length(1).str("a description").str("redis.register_function('f', function() return 1 end)")
	w.raw(opSelectDB).length(3).raw(opResizeDB).length(3).length(1)
	w.raw(opSlotInfo).length(866).length(3).length(1)
	w.raw(opExpireSec).raw(0x00, 0x94, 0x35, 0x77).raw(TypeString).str("k1").str("v") // 2000000000 s (a signed 32-bit field)
	w.raw(opIdle).length(100).raw(TypeModule2).str("json").length(mod)
	w.length(moduleOpString).str(`{"a":1}`).length(moduleOpEOF)
	// A Redis 5/6 stream: one node, one group without entries-read, a
	// consumer without active time.
	w.raw(opFreq, 5).raw(TypeStreamListpacks).str("s").length(1)
	lp := listpackOf(1, 0, 1, "f", 0, 2, 0, 1, "v", 4)
	w.str(string(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, 5), 0))).str(string(lp))
	w.length(1).length(5).length(1) // length, last ID
	w.length(1).str("g").length(5).length(1)
	w.length(1).id(5, 1).u64(1700000000000).length(3)
	w.length(1).str("c").u64(1700000000001).length(1).id(5, 1)
	return w.end(withCRC)
}

func TestSyntheticRecords(t *testing.T) {
	data := syntheticRDB(true)
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch e.Kind {
		case ModuleAuxEntry:
			if e.Module.Name != "ReJSON-RL" || e.Module.Version != 3 || e.When != 2 {
				t.Errorf("module aux %+v when %d", e.Module, e.When)
			}
			got = append(got, "module-aux")
		case FunctionEntry:
			if !strings.HasPrefix(string(e.Value), "#!LUA name=mylib\nredis.register_function") {
				t.Errorf("function %q", e.Value)
			}
			got = append(got, "function")
		case SlotInfoEntry:
			if e.Slot != 866 || e.Keys != 3 || e.Expires != 1 || e.DB != 3 {
				t.Errorf("slot info %+v", e)
			}
			got = append(got, "slot")
		case KeyEntry:
			got = append(got, string(e.Key))
			if e.DB != 3 {
				t.Errorf("key %s in db %d", e.Key, e.DB)
			}
			v, err := e.Decode()
			switch string(e.Key) {
			case "k1":
				if e.ExpireMS != 2000000000000 || err != nil || string(v.(String)) != "v" {
					t.Errorf("k1: %d %v %v", e.ExpireMS, v, err)
				}
			case "json":
				if e.Idle != 100 || e.Module.Name != "ReJSON-RL" || err == nil || !strings.Contains(err.Error(), "module type ReJSON-RL") {
					t.Errorf("module key: idle %d module %+v err %v", e.Idle, e.Module, err)
				}
			case "s":
				st, _ := v.(*Stream)
				if err != nil || e.Freq != 5 || st == nil {
					t.Fatalf("stream: freq %d %v %v", e.Freq, v, err)
				}
				g := st.Groups[0]
				if len(st.Entries) != 1 || st.Entries[0].ID != (StreamID{5, 1}) || string(bytes.Join(st.Entries[0].Fields, nil)) != "fv" ||
					st.FirstID != (StreamID{5, 1}) || st.EntriesAdded != 1 || g.EntriesReadKnown ||
					string(g.Pending[0].Consumer) != "c" || g.Pending[0].DeliveryCount != 3 || g.Consumers[0].ActiveTimeMS != 1700000000001 {
					t.Errorf("stream %+v", st)
				}
			}
		}
	}
	if strings.Join(got, " ") != "module-aux function slot k1 json s" {
		t.Errorf("records %q", got)
	}
	if c := r.Checksum(); c.Status != "verified" {
		t.Errorf("checksum %+v", c)
	}

	sum, err := Inspect(bytes.NewReader(data), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Modules) != 1 || sum.Modules[0].Name != "ReJSON-RL" || sum.Modules[0].Keys != 1 || sum.Modules[0].AuxRecords != 1 ||
		sum.SlotInfo != 1 || sum.Functions[0].Library != "mylib" || sum.Kinds[KindModule] != 1 || sum.Kinds[KindStream] != 1 {
		t.Errorf("summary %+v", sum)
	}
}

func TestChecksumVariants(t *testing.T) {
	r, err := NewReader(bytes.NewReader(syntheticRDB(false)))
	if err != nil {
		t.Fatal(err)
	}
	for err == nil {
		_, err = r.Next()
	}
	if err != io.EOF || r.Checksum().Status != "disabled" {
		t.Errorf("stored checksum 0: %v %+v", err, r.Checksum())
	}
	old := (&rdbWriter{}).raw([]byte("REDIS0004")...).raw(TypeString).str("k").str("v").raw(opEOF).b
	r, err = NewReader(bytes.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	for err == nil {
		_, err = r.Next()
	}
	if err != io.EOF || r.Checksum().Status != "none" {
		t.Errorf("RDB 4: %v %+v", err, r.Checksum())
	}
}

func TestUnsupportedTypes(t *testing.T) {
	for typ, want := range map[byte]string{
		TypeHash2:               "release-candidate",
		TypeHashListpackExPreGA: "release-candidate",
		TypeModulePreGA:         "release-candidate module format",
		30:                      "unknown value type 30",
	} {
		data := (&rdbWriter{}).raw([]byte("REDIS0012")...).raw(typ).str("k").str("v").end(true)
		r, _ := NewReader(bytes.NewReader(data))
		_, err := r.Next()
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "offset 12") {
			t.Errorf("type %d: %v", typ, err)
		}
	}
}

// TestMemoryStaysBounded reads a file with one 40 MB value: keeping raw
// values, the buffer grows to hold it and shrinks after it; discarding
// them, it never grows past the default size.
func TestMemoryStaysBounded(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 40<<20/16)
	w := (&rdbWriter{}).raw([]byte("REDIS0011")...)
	w.raw(TypeString).str("big").str(big)
	for i := range 20000 { // 2 MB of small keys after it
		w.raw(TypeString).str(fmt.Sprint("k", i)).str(strings.Repeat("v", 90))
	}
	data := w.end(true)
	for _, discard := range []bool{false, true} {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if discard {
			r.DiscardValues()
		}
		peak := 0
		for {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			peak = max(peak, len(r.s.buf))
			if string(e.Key) == "big" && !discard && string(e.Raw[len(e.Raw)-16:]) != "0123456789abcdef" {
				t.Fatal("raw value of the big key is wrong")
			}
		}
		switch {
		case discard && peak > defaultBufSize:
			t.Errorf("discarding values the buffer reached %d bytes", peak)
		case !discard && peak < 40<<20:
			t.Errorf("keeping values the buffer peaked at %d bytes, less than the value", peak)
		case len(r.s.buf) > defaultBufSize:
			t.Errorf("buffer still %d bytes at the end (discard %v)", len(r.s.buf), discard)
		}
	}
}
