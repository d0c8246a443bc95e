package rdb

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strconv"
)

// Decode turns the entry's raw value into native values.
func (e *Entry) Decode() (Value, error) {
	if e.Kind != KeyEntry {
		return nil, errors.New("rdb: Decode needs a key entry")
	}
	if e.Raw == nil {
		return nil, errors.New("rdb: the entry has no value bytes: the reader was set to DiscardValues")
	}
	return decodeAt(e.Type, e.Raw, e.version, e.valueOffset)
}

// DecodeValue decodes the raw value bytes of type typ as written under RDB
// version rdbVersion (the version decides what type 22 means).
func DecodeValue(typ byte, raw []byte, rdbVersion int) (Value, error) {
	return decodeAt(typ, raw, rdbVersion, 0)
}

// decoder reads a value held in memory. Every string it returns lives in
// arena, a private copy, so values never alias the caller's buffers.
type decoder struct {
	s       *src
	arena   []byte
	version int
}

func decodeAt(typ byte, raw []byte, version int, at int64) (Value, error) {
	d := &decoder{s: newMemSrc(raw, at), arena: make([]byte, 0, len(raw)+64), version: version}
	v, err := d.value(typ)
	if err != nil {
		return nil, err
	}
	if d.s.r != d.s.w {
		return nil, corrupt(d.s.off(), "%d bytes left over after the %s value", d.s.w-d.s.r, TypeName(typ))
	}
	return v, nil
}

// str reads an RDB string into the arena.
func (d *decoder) str(what string) ([]byte, error) {
	start := len(d.arena)
	var err error
	if d.arena, err = d.s.appendStr(d.arena, what); err != nil {
		return nil, err
	}
	return d.arena[start:len(d.arena):len(d.arena)], nil
}

// elemBytes is an element's string form; integers are formatted into the arena.
func (d *decoder) elemBytes(e elem) []byte {
	if !e.isInt {
		return e.s
	}
	start := len(d.arena)
	d.arena = strconv.AppendInt(d.arena, e.n, 10)
	return d.arena[start:len(d.arena):len(d.arena)]
}

// count reads an item count and bounds it by the bytes left, since every
// item takes at least one byte: no allocation from a hostile count.
func (d *decoder) count(what string) (int, error) {
	at := d.s.off()
	n, err := d.s.count(what)
	if err != nil {
		return 0, err
	}
	if n > uint64(d.s.w-d.s.r) {
		return 0, corrupt(at, "%s %d exceeds the %d bytes left in the value", what, n, d.s.w-d.s.r)
	}
	return int(n), nil
}

func (d *decoder) value(typ byte) (Value, error) {
	switch typ {
	case TypeString:
		s, err := d.str("string value")
		return String(s), err
	case TypeList:
		l, err := d.strings("LIST length", "LIST element")
		return List(l), err
	case TypeSet:
		l, err := d.strings("SET size", "SET member")
		return Set(l), err
	case TypeListZiplist, TypeListQuicklist, TypeListQuicklist2:
		return d.list(typ)
	case TypeSetIntset, TypeSetListpack:
		return d.set(typ)
	case TypeZSet, TypeZSet2, TypeZSetZiplist, TypeZSetListpack:
		return d.zset(typ)
	case TypeHash, TypeHashZipmap, TypeHashZiplist, TypeHashListpack, TypeHashMetadata, TypeHashListpackEx:
		return d.hash(typ)
	case TypeHash2:
		if d.version >= ValkeyVersion {
			return d.hash(typ)
		}
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		return d.stream(typ)
	case TypeModule2:
		at := d.s.off()
		id, err := d.s.count("module type id")
		if err != nil {
			return nil, err
		}
		m := moduleFromID(id)
		return nil, corrupt(at, "the value belongs to module type %s (id %d, encoding version %d), which cannot be decoded without the module; RESTORE it into a target that loads the module", m.Name, m.ID, m.Version)
	}
	return nil, unsupportedType(d.s.base, typ, d.version)
}

func (d *decoder) strings(countWhat, what string) ([][]byte, error) {
	n, err := d.count(countWhat)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, n)
	for range n {
		s, err := d.str(what)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// blob reads one RDB string holding a small encoding, with its file offset.
func (d *decoder) blob(what string) ([]byte, int64, error) {
	at := d.s.off()
	b, err := d.str(what)
	return b, at, err
}

// elements appends every element of a listpack or ziplist to out.
func (d *decoder) elements(out [][]byte, data []byte, at int64, zip bool) ([][]byte, error) {
	var next func() (elem, bool, error)
	if zip {
		z, err := openZiplist(data, at)
		if err != nil {
			return nil, err
		}
		next = z.next
	} else {
		l, err := openListpack(data, at)
		if err != nil {
			return nil, err
		}
		next = l.next
	}
	for {
		e, ok, err := next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, d.elemBytes(e))
	}
}

func (d *decoder) list(typ byte) (Value, error) {
	if typ == TypeListZiplist {
		data, at, err := d.blob("LIST_ZIPLIST ziplist")
		if err != nil {
			return nil, err
		}
		l, err := d.elements(nil, data, at, true)
		return List(l), err
	}
	nodes, err := d.count("quicklist node count")
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for range nodes {
		container := uint64(2) // packed
		if typ == TypeListQuicklist2 {
			at := d.s.off()
			if container, err = d.s.count("quicklist node container"); err != nil {
				return nil, err
			}
			if container != 1 && container != 2 {
				return nil, corrupt(at, "quicklist node container %d, want 1 (plain) or 2 (packed)", container)
			}
		}
		data, at, err := d.blob("quicklist node")
		if err != nil {
			return nil, err
		}
		switch {
		case container == 1:
			out = append(out, data)
		case typ == TypeListQuicklist:
			out, err = d.elements(out, data, at, true)
		default:
			out, err = d.elements(out, data, at, false)
		}
		if err != nil {
			return nil, err
		}
	}
	return List(out), nil
}

func (d *decoder) set(typ byte) (Value, error) {
	data, at, err := d.blob(TypeName(typ) + " encoding")
	if err != nil {
		return nil, err
	}
	if typ == TypeSetListpack {
		l, err := d.elements(nil, data, at, false)
		return Set(l), err
	}
	ints, err := intsetValues(data, at)
	if err != nil {
		return nil, err
	}
	out := make(Set, len(ints))
	for i, v := range ints {
		out[i] = d.elemBytes(elem{n: v, isInt: true})
	}
	return out, nil
}

func (d *decoder) zset(typ byte) (Value, error) {
	var out ZSet
	switch typ {
	case TypeZSet, TypeZSet2:
		n, err := d.count("ZSET member count")
		if err != nil {
			return nil, err
		}
		out = make(ZSet, 0, n)
		for range n {
			m, err := d.str("ZSET member")
			if err != nil {
				return nil, err
			}
			var score float64
			if typ == TypeZSet2 {
				var v uint64
				v, err = d.s.u64le("ZSET_2 binary score")
				score = math.Float64frombits(v)
			} else {
				score, err = d.stringScore()
			}
			if err != nil {
				return nil, err
			}
			out = append(out, ZMember{Member: m, Score: score})
		}
	default:
		data, at, err := d.blob(TypeName(typ) + " encoding")
		if err != nil {
			return nil, err
		}
		flat, err := d.elements(nil, data, at, typ == TypeZSetZiplist)
		if err != nil {
			return nil, err
		}
		if len(flat)%2 != 0 {
			return nil, corrupt(at, "sorted set encoding holds %d elements, not member/score pairs", len(flat))
		}
		out = make(ZSet, 0, len(flat)/2)
		for i := 0; i < len(flat); i += 2 {
			score, err := strconv.ParseFloat(string(flat[i+1]), 64)
			if err != nil || math.IsNaN(score) {
				return nil, corrupt(at, "sorted set score %q is not a number", flat[i+1])
			}
			out = append(out, ZMember{Member: flat[i], Score: score})
		}
	}
	// Skiplist sets are written tail to head; present them in ZRANGE order.
	less := func(a, b ZMember) int {
		if c := cmp.Compare(a.Score, b.Score); c != 0 {
			return c
		}
		return bytes.Compare(a.Member, b.Member)
	}
	if !slices.IsSortedFunc(out, less) {
		slices.Reverse(out)
		if !slices.IsSortedFunc(out, less) {
			slices.SortFunc(out, less)
		}
	}
	return out, nil
}

// stringScore reads the old string score: a length byte (253 NaN, 254 +inf,
// 255 -inf) and that many bytes of text.
func (d *decoder) stringScore() (float64, error) {
	at := d.s.off()
	n, err := d.s.byte1("ZSET score length")
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return 0, corrupt(at, "sorted set score is NaN")
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b, err := d.s.bytes(int(n), "ZSET score")
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, corrupt(at, "sorted set score %q is not a number", b)
	}
	return f, nil
}

// u128 splits a 16-byte big-endian stream ID.
func u128(b []byte) StreamID {
	return StreamID{Ms: binary.BigEndian.Uint64(b), Seq: binary.BigEndian.Uint64(b[8:])}
}
