package rdb

import (
	"encoding/binary"
	"fmt"
)

// elem is one element of a listpack or ziplist: a string, or an integer the
// server stored in binary (its value as a string is its decimal form).
type elem struct {
	s     []byte
	n     int64
	isInt bool
}

// blob is a serialized small encoding (listpack, ziplist, intset, zipmap)
// held in one RDB string that starts at file offset at.
type blob struct {
	b    []byte
	p    int
	at   int64
	kind string
}

func (b *blob) errf(format string, args ...any) error {
	return corrupt(b.at, "%s in this string, byte %d: %s", b.kind, b.p, fmt.Sprintf(format, args...))
}

// has reports whether n more bytes are there before the final end byte.
func (b *blob) has(n int) bool { return n >= 0 && b.p+n <= len(b.b)-1 }

// listpack iterates a listpack: 4-byte total size, 2-byte element count,
// elements (encoding, data, back-length), 0xFF.
type listpack struct {
	blob
	declared, seen int
}

func openListpack(data []byte, at int64) (*listpack, error) {
	l := &listpack{blob: blob{b: data, at: at, kind: "listpack"}}
	if len(data) < 7 {
		return nil, l.errf("%d bytes is too short for a listpack", len(data))
	}
	if size := binary.LittleEndian.Uint32(data); int64(size) != int64(len(data)) {
		return nil, l.errf("header says %d bytes, string holds %d", size, len(data))
	}
	if data[len(data)-1] != 0xFF {
		return nil, l.errf("missing end byte 0xFF")
	}
	l.declared = int(binary.LittleEndian.Uint16(data[4:]))
	l.p = 6
	return l, nil
}

// lpBacklenSize is how many bytes encode the back-length of an element of
// size n (encoding plus data).
func lpBacklenSize(n int) int {
	switch {
	case n <= 127:
		return 1
	case n < 16383:
		return 2
	case n < 2097151:
		return 3
	case n < 268435455:
		return 4
	}
	return 5
}

// next returns the next element, or ok false at the end byte.
func (l *listpack) next() (e elem, ok bool, err error) {
	b, p := l.b, l.p
	if p >= len(b)-1 {
		if l.declared != 0xFFFF && l.seen != l.declared {
			return e, false, l.errf("header counts %d elements, found %d", l.declared, l.seen)
		}
		return e, false, nil
	}
	c := b[p]
	size := 0 // encoding plus data
	strHdr, strLen := 0, 0
	switch {
	case c&0x80 == 0:
		e.n, e.isInt, size = int64(c), true, 1
	case c&0xC0 == 0x80:
		strHdr, strLen = 1, int(c&0x3F)
	case c&0xE0 == 0xC0:
		if !l.has(2) {
			return e, false, l.errf("13-bit integer runs past the end")
		}
		v := int64(c&0x1F)<<8 | int64(b[p+1])
		if v >= 1<<12 {
			v -= 1 << 13
		}
		e.n, e.isInt, size = v, true, 2
	case c&0xF0 == 0xE0:
		if !l.has(2) {
			return e, false, l.errf("12-bit string length runs past the end")
		}
		strHdr, strLen = 2, int(c&0x0F)<<8|int(b[p+1])
	case c == 0xF0:
		if !l.has(5) {
			return e, false, l.errf("32-bit string length runs past the end")
		}
		n := binary.LittleEndian.Uint32(b[p+1:])
		if n > uint32(len(b)) {
			return e, false, l.errf("string length %d runs past the end", n)
		}
		strHdr, strLen = 5, int(n)
	case c >= 0xF1 && c <= 0xF4:
		width := [...]int{2, 3, 4, 8}[c-0xF1]
		if !l.has(1 + width) {
			return e, false, l.errf("integer runs past the end")
		}
		d := b[p+1 : p+1+width]
		if width == 3 {
			v := int64(d[0]) | int64(d[1])<<8 | int64(d[2])<<16
			if v >= 1<<23 {
				v -= 1 << 24
			}
			e.n = v
		} else {
			e.n = intLE(d)
		}
		e.isInt, size = true, 1+width
	default:
		return e, false, l.errf("invalid element encoding byte 0x%02x", c)
	}
	if !e.isInt {
		size = strHdr + strLen
		if !l.has(size) {
			return e, false, l.errf("string of %d bytes runs past the end", strLen)
		}
		e.s = b[p+strHdr : p+size : p+size]
	}
	next := p + size + lpBacklenSize(size)
	if next > len(b)-1 {
		return e, false, l.errf("element back-length runs past the end")
	}
	if !lpBacklenIs(b[p+size:next], size) {
		return e, false, l.errf("element back-length does not match its %d bytes", size)
	}
	l.p = next
	l.seen++
	return e, true, nil
}

// lpBacklenIs reports whether bl encodes n: 7 bits a byte, most
// significant first, the high bit set on every byte but the first (so the
// server can read it backwards from the next element).
func lpBacklenIs(bl []byte, n int) bool {
	v := 0
	for i, c := range bl {
		if (c&0x80 != 0) != (i > 0) {
			return false
		}
		v = v<<7 | int(c&0x7F)
	}
	return v == n
}

// ziplist iterates the pre-7.0 ziplist: 4-byte total size, 4-byte tail
// offset, 2-byte count, entries (previous length, encoding, data), 0xFF.
type ziplist struct {
	blob
	declared, seen int
	tail           int // the header's offset of the last entry
	last, prevSize int // where the previous entry starts, and its size
}

func openZiplist(data []byte, at int64) (*ziplist, error) {
	z := &ziplist{blob: blob{b: data, at: at, kind: "ziplist"}}
	if len(data) < 11 {
		return nil, z.errf("%d bytes is too short for a ziplist", len(data))
	}
	if size := binary.LittleEndian.Uint32(data); int64(size) != int64(len(data)) {
		return nil, z.errf("header says %d bytes, string holds %d", size, len(data))
	}
	if data[len(data)-1] != 0xFF {
		return nil, z.errf("missing end byte 0xFF")
	}
	z.declared = int(binary.LittleEndian.Uint16(data[8:]))
	z.tail = int(binary.LittleEndian.Uint32(data[4:]))
	z.p, z.last = 10, 10
	return z, nil
}

func (z *ziplist) next() (e elem, ok bool, err error) {
	b := z.b
	if z.p >= len(b)-1 {
		if z.declared != 0xFFFF && z.seen != z.declared {
			return e, false, z.errf("header counts %d entries, found %d", z.declared, z.seen)
		}
		if z.tail != z.last {
			return e, false, z.errf("header puts the last entry at byte %d, it is at byte %d", z.tail, z.last)
		}
		return e, false, nil
	}
	// Previous-entry length: 1 byte, or 0xFE and 4 bytes (also kept for
	// small lengths after a cascade update).
	p, prev := z.p+1, int(b[z.p])
	if b[z.p] == 0xFE {
		if z.p+5 >= len(b)-1 {
			return e, false, z.errf("entry header runs past the end")
		}
		p, prev = z.p+5, int(binary.LittleEndian.Uint32(b[z.p+1:]))
	} else if b[z.p] == 0xFF {
		return e, false, z.errf("invalid previous-length byte 0xFF")
	}
	if p >= len(b)-1 {
		return e, false, z.errf("entry header runs past the end")
	}
	if prev != z.prevSize {
		return e, false, z.errf("entry says the previous one has %d bytes, it has %d", prev, z.prevSize)
	}
	c := b[p]
	hdr, n := 0, 0
	switch c >> 6 {
	case 0:
		hdr, n = 1, int(c&0x3F)
	case 1:
		if p+2 > len(b)-1 {
			return e, false, z.errf("14-bit string length runs past the end")
		}
		hdr, n = 2, int(c&0x3F)<<8|int(b[p+1])
	case 2:
		if p+5 > len(b)-1 {
			return e, false, z.errf("32-bit string length runs past the end")
		}
		l := binary.BigEndian.Uint32(b[p+1:])
		if l > uint32(len(b)) {
			return e, false, z.errf("string length %d runs past the end", l)
		}
		hdr, n = 5, int(l)
	default:
		e.isInt = true
		width := 0
		switch {
		case c == 0xC0:
			width = 2
		case c == 0xD0:
			width = 4
		case c == 0xE0:
			width = 8
		case c == 0xF0:
			width = 3
		case c == 0xFE:
			width = 1
		case c >= 0xF1 && c <= 0xFD:
			e.n = int64(c&0x0F) - 1
		default:
			return e, false, z.errf("invalid entry encoding byte 0x%02x", c)
		}
		if p+1+width > len(b)-1 {
			return e, false, z.errf("integer runs past the end")
		}
		d := b[p+1 : p+1+width]
		switch width {
		case 3:
			v := int64(d[0]) | int64(d[1])<<8 | int64(d[2])<<16
			if v >= 1<<23 {
				v -= 1 << 24
			}
			e.n = v
		case 1, 2, 4, 8:
			e.n = intLE(d)
		}
		z.step(p + 1 + width)
		return e, true, nil
	}
	if p+hdr+n > len(b)-1 {
		return e, false, z.errf("string of %d bytes runs past the end", n)
	}
	e.s = b[p+hdr : p+hdr+n : p+hdr+n]
	z.step(p + hdr + n)
	return e, true, nil
}

// step moves past the entry that ends at end.
func (z *ziplist) step(end int) {
	z.last, z.prevSize, z.p = z.p, end-z.p, end
	z.seen++
}

// intsetEach checks an intset and calls fn with each member: 4-byte width
// (2, 4 or 8), 4-byte count, then count little-endian signed integers in
// strictly ascending order (the server finds members by binary search).
func intsetEach(data []byte, at int64, fn func(int64)) error {
	bl := blob{b: data, at: at, kind: "intset"}
	if len(data) < 8 {
		return bl.errf("%d bytes is too short for an intset", len(data))
	}
	width := binary.LittleEndian.Uint32(data)
	n := binary.LittleEndian.Uint32(data[4:])
	if width != 2 && width != 4 && width != 8 {
		return bl.errf("invalid integer width %d", width)
	}
	if uint64(len(data)-8) != uint64(width)*uint64(n) {
		return bl.errf("%d integers of %d bytes do not fill %d bytes", n, width, len(data)-8)
	}
	w := int(width)
	for i := range int(n) {
		bl.p = 8 + i*w
		v := intLE(data[bl.p : bl.p+w])
		if i > 0 && v <= intLE(data[bl.p-w:bl.p]) {
			return bl.errf("member %d is not above the one before it (an intset is sorted and has no duplicates)", v)
		}
		fn(v)
	}
	return nil
}

func intsetValues(data []byte, at int64) ([]int64, error) {
	out := make([]int64, 0, len(data)/2)
	err := intsetEach(data, at, func(v int64) { out = append(out, v) })
	return out, err
}

// zipmapPairs decodes a pre-2.6 zipmap: 1-byte count, then (len, field,
// len, free, value, free bytes) pairs, 0xFF.
func zipmapPairs(data []byte, at int64, pair func(f, v []byte)) error {
	z := blob{b: data, at: at, kind: "zipmap"}
	if len(data) < 2 || data[len(data)-1] != 0xFF {
		return z.errf("missing end byte 0xFF")
	}
	declared, seen := int(data[0]), 0 // 254 and up: count not kept
	z.p = 1
	readLen := func() (int, error) {
		if z.p >= len(data)-1 {
			return 0, z.errf("length runs past the end")
		}
		c := data[z.p]
		if c < 254 {
			z.p++
			return int(c), nil
		}
		if c == 255 || !z.has(5) {
			return 0, z.errf("invalid length byte 0x%02x", c)
		}
		n := binary.LittleEndian.Uint32(data[z.p+1:])
		z.p += 5
		if n > uint32(len(data)) {
			return 0, z.errf("length %d runs past the end", n)
		}
		return int(n), nil
	}
	for z.p < len(data)-1 {
		fl, err := readLen()
		if err != nil {
			return err
		}
		if !z.has(fl) {
			return z.errf("field runs past the end")
		}
		f := data[z.p : z.p+fl : z.p+fl]
		z.p += fl
		vl, err := readLen()
		if err != nil {
			return err
		}
		if !z.has(1) {
			return z.errf("free-space byte runs past the end")
		}
		free := int(data[z.p])
		z.p++
		if !z.has(vl + free) {
			return z.errf("value runs past the end")
		}
		pair(f, data[z.p:z.p+vl:z.p+vl])
		z.p += vl + free
		seen++
	}
	if declared < 254 && seen != declared {
		return z.errf("header counts %d pairs, found %d", declared, seen)
	}
	return nil
}

// small names the compact encodings a value stores in one RDB string.
type small uint8

const (
	smallListpack small = iota
	smallZiplist
	smallIntset
	smallZipmap
)

func (k small) String() string {
	return [...]string{"listpack", "ziplist", "intset", "zipmap"}[k]
}

// emptySize is the size of the encoding holding no element: a valid
// encoding is empty exactly when it has this size.
func (k small) emptySize() uint64 {
	return [...]uint64{7, 11, 8, 2}[k]
}

// elementCount walks a whole encoding as the server's deep integrity check
// does (header lengths and counts, every entry's encoding and lengths, the
// end byte) and returns how many elements it holds (pairs for a zipmap).
func elementCount(k small, data []byte, at int64) (int, error) {
	n := 0
	var err error
	switch k {
	case smallListpack:
		var l *listpack
		if l, err = openListpack(data, at); err != nil {
			return 0, err
		}
		for ok := true; ok && err == nil; {
			_, ok, err = l.next()
		}
		n = l.seen
	case smallZiplist:
		var z *ziplist
		if z, err = openZiplist(data, at); err != nil {
			return 0, err
		}
		for ok := true; ok && err == nil; {
			_, ok, err = z.next()
		}
		n = z.seen
	case smallIntset:
		err = intsetEach(data, at, func(int64) { n++ })
	case smallZipmap:
		err = zipmapPairs(data, at, func(_, _ []byte) { n++ })
	}
	return n, err
}
