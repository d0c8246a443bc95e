package rdb

import (
	"encoding/binary"
	"errors"
	"io"
	"strconv"
)

const (
	// The buffer starts small (cheap for small inputs and for Decode's
	// callers) and doubles while the input keeps coming, up to
	// defaultBufSize; beyond that only to hold a pinned value.
	initialBufSize = 64 << 10
	defaultBufSize = 1 << 20
	// shrinkAbove: a buffer grown past this to hold one huge value is
	// given back once that value has been passed (shrink, makeRoom).
	shrinkAbove = 16 << 20
	// maxLen bounds any single length read from the input; anything larger
	// is corrupt and must not drive an allocation or an int conversion.
	maxLen = 1 << 40
)

// src is a buffered view of the input that knows file offsets, keeps the
// running CRC64 of every byte consumed, and can pin the bytes of the record
// being read so they stay in the buffer (Entry.Raw aliases them). With rd nil
// it reads from buf alone (used by Decode on a value already in memory).
type src struct {
	rd    io.Reader
	buf   []byte
	r, w  int
	base  int64 // file offset of buf[0]
	pin   int   // buf index kept across refills, -1 when nothing is pinned
	crc   uint64
	crcAt int  // buf[:crcAt] is already in crc
	noCRC bool // memory mode: the bytes were checksummed when first read
	err   error
}

func newMemSrc(b []byte, base int64) *src {
	return &src{buf: b, w: len(b), base: base, pin: -1, noCRC: true}
}

func (s *src) off() int64 { return s.base + int64(s.r) }

// sumTo adds buf[crcAt:i] to the running checksum.
func (s *src) sumTo(i int) {
	if !s.noCRC && i > s.crcAt {
		s.crc = CRC64(s.crc, s.buf[s.crcAt:i])
		s.crcAt = i
	}
}

// need makes n unread bytes available at buf[r:].
func (s *src) need(n int, what string) error {
	if s.w-s.r >= n {
		return nil
	}
	return s.fill(n, what)
}

func (s *src) fill(n int, what string) error {
	zeroReads := 0
	for s.w-s.r < n {
		if s.rd == nil || s.err != nil {
			return s.shortErr(what)
		}
		if s.w == len(s.buf) {
			s.makeRoom()
		}
		// Read no more than a default buffer beyond the need, so a buffer
		// grown for a huge value does not fill up with what follows it.
		end := min(len(s.buf), s.w+max(n, defaultBufSize))
		m, err := s.rd.Read(s.buf[s.w:end])
		s.w += m
		if err != nil {
			s.err = err
		} else if m == 0 {
			if zeroReads++; zeroReads > 100 {
				s.err = io.ErrNoProgress
			}
		}
	}
	return nil
}

func (s *src) shortErr(what string) error {
	if s.err == nil || errors.Is(s.err, io.EOF) || errors.Is(s.err, io.ErrUnexpectedEOF) {
		return &Error{Offset: s.off(), Truncated: true, End: s.base + int64(s.w), What: what}
	}
	return &ReadError{Offset: s.base + int64(s.w), Err: s.err}
}

// makeRoom frees space at the end of a full buffer: it drops consumed,
// unpinned bytes (checksumming them first) and doubles the buffer while it
// is below defaultBufSize or when the bytes it must keep fill more than
// half of it. A buffer grown for one huge value goes back to the default
// size at the first refill that no longer needs it. The buffer only grows by
// bytes actually read, so a hostile length cannot force a huge allocation.
func (s *src) makeRoom() {
	s.sumTo(s.r)
	keep := s.r
	if s.pin >= 0 && s.pin < keep {
		keep = s.pin
	}
	live := s.w - keep
	dst := s.buf
	switch {
	case live > len(s.buf)/2 || len(s.buf) < defaultBufSize:
		dst = make([]byte, 2*len(s.buf))
	case len(s.buf) > shrinkAbove && live <= defaultBufSize/2:
		dst = make([]byte, defaultBufSize)
	}
	copy(dst, s.buf[keep:s.w])
	s.buf = dst
	s.w -= keep
	s.r -= keep
	s.crcAt -= keep
	if s.pin >= 0 {
		s.pin -= keep
	}
	s.base += int64(keep)
}

// shrink gives back a buffer grown for a huge value once that value is no
// longer pinned.
func (s *src) shrink() {
	if s.rd == nil || s.pin >= 0 || len(s.buf) <= shrinkAbove || s.w-s.r > defaultBufSize/2 {
		return
	}
	s.sumTo(s.r)
	dst := make([]byte, defaultBufSize)
	n := copy(dst, s.buf[s.r:s.w])
	s.base += int64(s.r)
	s.buf, s.r, s.w, s.crcAt = dst, 0, n, 0
}

func (s *src) byte1(what string) (byte, error) {
	if s.r < s.w {
		b := s.buf[s.r]
		s.r++
		return b, nil
	}
	if err := s.fill(1, what); err != nil {
		return 0, err
	}
	b := s.buf[s.r]
	s.r++
	return b, nil
}

// bytes consumes n bytes and returns them; the slice aliases the buffer and
// is valid until the next read.
func (s *src) bytes(n int, what string) ([]byte, error) {
	if err := s.need(n, what); err != nil {
		return nil, err
	}
	b := s.buf[s.r : s.r+n]
	s.r += n
	return b, nil
}

func (s *src) u64le(what string) (uint64, error) {
	b, err := s.bytes(8, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// skip consumes n bytes. Unpinned, it streams through them in buffer-sized
// steps; pinned (or in memory) they must all be in the buffer.
func (s *src) skip(n uint64, what string) error {
	at := s.off()
	if n > maxLen {
		return corrupt(at, "implausible length %d for %s", n, what)
	}
	if s.pin >= 0 || s.rd == nil {
		if err := s.need(int(n), what); err != nil {
			return atStart(err, at)
		}
		s.r += int(n)
		return nil
	}
	for n > 0 {
		if s.r == s.w {
			if err := s.fill(1, what); err != nil {
				return atStart(err, at)
			}
		}
		k := min(n, uint64(s.w-s.r))
		s.r += int(k)
		n -= k
	}
	return nil
}

// atStart makes a truncation error name where the item began.
func atStart(err error, at int64) error {
	var e *Error
	if errors.As(err, &e) && e.Truncated {
		e.Offset = at
	}
	return err
}

// RDB length encodings (the top two bits of the first byte).
const (
	len6     = 0
	len14    = 1
	lenEnc   = 3
	len32    = 0x80
	len64    = 0x81
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// length reads an RDB length. enc reports a special string encoding, in
// which case n is the encoding id.
func (s *src) length(what string) (n uint64, enc bool, err error) {
	at := s.off()
	b, err := s.byte1(what)
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case len6:
		return uint64(b & 0x3f), false, nil
	case len14:
		b2, err := s.byte1(what)
		if err != nil {
			return 0, false, atStart(err, at)
		}
		return uint64(b&0x3f)<<8 | uint64(b2), false, nil
	case lenEnc:
		return uint64(b & 0x3f), true, nil
	}
	switch b {
	case len32:
		p, err := s.bytes(4, what)
		if err != nil {
			return 0, false, atStart(err, at)
		}
		return uint64(binary.BigEndian.Uint32(p)), false, nil
	case len64:
		p, err := s.bytes(8, what)
		if err != nil {
			return 0, false, atStart(err, at)
		}
		return binary.BigEndian.Uint64(p), false, nil
	}
	return 0, false, corrupt(at, "invalid length prefix 0x%02x for %s", b, what)
}

// count reads a plain length (no string encoding allowed).
func (s *src) count(what string) (uint64, error) {
	at := s.off()
	n, enc, err := s.length(what)
	if err == nil && enc {
		err = corrupt(at, "string encoding marker where %s (a length) was expected", what)
	}
	return n, err
}

// appendStr reads an RDB string (plain, integer-encoded or LZF-compressed)
// and appends its value to dst.
func (s *src) appendStr(dst []byte, what string) ([]byte, error) {
	at := s.off()
	n, enc, err := s.length(what)
	if err != nil {
		return dst, err
	}
	if !enc {
		if n > maxLen {
			return dst, corrupt(at, "implausible length %d for %s", n, what)
		}
		b, err := s.bytes(int(n), what)
		if err != nil {
			return dst, atStart(err, at)
		}
		return append(dst, b...), nil
	}
	switch n {
	case encInt8, encInt16, encInt32:
		size := 1 << n
		b, err := s.bytes(size, what)
		if err != nil {
			return dst, atStart(err, at)
		}
		return strconv.AppendInt(dst, intLE(b), 10), nil
	case encLZF:
		clen, err := s.count("LZF compressed length")
		if err != nil {
			return dst, err
		}
		ulen, err := s.count("LZF original length")
		if err != nil {
			return dst, err
		}
		if clen > maxLen || ulen > maxLen {
			return dst, corrupt(at, "implausible LZF lengths %d/%d for %s", clen, ulen, what)
		}
		b, err := s.bytes(int(clen), what)
		if err != nil {
			return dst, atStart(err, at)
		}
		out, err := lzfDecompress(dst, b, int(ulen))
		if err != nil {
			return dst, corrupt(at, "%s: %v", what, err)
		}
		return out, nil
	}
	return dst, corrupt(at, "unknown string encoding %d for %s", n, what)
}

// rest consumes everything left in the input and returns its size and
// first bytes.
func (s *src) rest() (n int64, head []byte, err error) {
	var h [8]byte
	k := copy(h[:], s.buf[s.r:s.w])
	n, s.r = int64(s.w-s.r), s.w
	if s.rd != nil && s.err == nil {
		m, err := io.ReadFull(s.rd, h[k:])
		k += m
		var more int64
		if err == nil {
			more, err = io.Copy(io.Discard, s.rd)
		}
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			s.err = err
		}
		s.base += int64(m) + more
		n += int64(m) + more
	}
	if s.err != nil && !errors.Is(s.err, io.EOF) && !errors.Is(s.err, io.ErrUnexpectedEOF) {
		return n, h[:k], &ReadError{Offset: s.base + int64(s.w), Err: s.err}
	}
	return n, h[:k], nil
}

// skipStr consumes an RDB string without decoding it.
func (s *src) skipStr(what string) error {
	_, _, err := s.strLen(what)
	return err
}

// strLen consumes an RDB string without decoding it and returns the length
// of its value (uncompressed); intEnc reports an integer-encoded string,
// whose value is its decimal form.
func (s *src) strLen(what string) (n uint64, intEnc bool, err error) {
	at := s.off()
	n, enc, err := s.length(what)
	if err != nil {
		return 0, false, err
	}
	if !enc {
		return n, false, s.skip(n, what)
	}
	switch n {
	case encInt8, encInt16, encInt32:
		return 0, true, s.skip(1<<n, what)
	case encLZF:
		clen, err := s.count("LZF compressed length")
		if err != nil {
			return 0, false, err
		}
		ulen, err := s.count("LZF original length")
		if err != nil {
			return 0, false, err
		}
		return ulen, false, s.skip(clen, what)
	}
	return 0, false, corrupt(at, "unknown string encoding %d for %s", n, what)
}

// intLE decodes a 1, 2, 4 or 8 byte little-endian signed integer.
func intLE(b []byte) int64 {
	switch len(b) {
	case 1:
		return int64(int8(b[0]))
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(b)))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(b)))
	}
	return int64(binary.LittleEndian.Uint64(b))
}
