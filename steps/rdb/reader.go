// Package rdb reads Redis and Valkey RDB files as a stream, one record at a
// time, and turns values into DUMP payloads (for RESTORE) or, when the target
// cannot take the payload, into ordinary commands.
//
// A loader reads with NewReader and Next; for each KeyEntry it sends
// RESTORE with AppendDumpPayload(nil, e.Type, e.Raw, targetVersion) when
// RestorableOn(e.Type, targetVersion), and otherwise decodes the value
// (Entry.Decode) and sends what Commands emits, reporting its warnings.
// Function libraries come as FunctionEntry records (FUNCTION LOAD their
// code); module data cannot be rebuilt without the module. Inspect
// summarises a file without keeping values.
package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// RDB opcodes that are not value types.
const (
	opSlotInfo      = 0xF4
	opFunction2     = 0xF5
	opFunctionPreGA = 0xF6
	opModuleAux     = 0xF7
	opIdle          = 0xF8
	opFreq          = 0xF9
	opAux           = 0xFA
	opResizeDB      = 0xFB
	opExpireMS      = 0xFC
	opExpireSec     = 0xFD
	opSelectDB      = 0xFE
	opEOF           = 0xFF
)

// EntryKind says what a record returned by Next is.
type EntryKind uint8

const (
	KeyEntry       EntryKind = iota + 1 // a key and its value
	AuxEntry                            // an AUX field: Name, Value
	ResizeDBEntry                       // size hint of DB: Keys, Expires
	FunctionEntry                       // a function library: Value holds its code
	ModuleAuxEntry                      // module data outside the keyspace: Module, When (skipped)
	SlotInfoEntry                       // cluster slot size hint: Slot, Keys, Expires
)

// Module names a module data type, as found in the 64-bit module type id.
type Module struct {
	Name    string `json:"name"`    // the 9-character type name, e.g. "ReJSON-RL"
	ID      uint64 `json:"id"`      // the raw id (name and encoding version)
	Version int    `json:"version"` // the type's encoding version (low 10 bits)
}

func moduleFromID(id uint64) Module {
	const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var name [9]byte
	v := id >> 10
	for j := 8; j >= 0; j-- {
		name[j] = charset[v&63]
		v >>= 6
	}
	return Module{Name: string(name[:]), ID: id, Version: int(id & 1023)}
}

// Entry is one record of the file. It and every slice in it are valid only
// until the next call to Next.
type Entry struct {
	Kind   EntryKind
	Offset int64 // file offset of the record's first byte (its first opcode)
	DB     int   // the database selected when the record was read

	// KeyEntry.
	Key      []byte
	Type     byte  // RDB type byte
	ExpireMS int64 // absolute expiry in unix ms, -1 when none
	Idle     int64 // LRU idle seconds, -1 when not stored
	Freq     int   // LFU counter, -1 when not stored
	Raw      []byte
	Size     int64 // value bytes in the file (len(Raw), also when Raw is discarded)
	// Empty: a list, set, sorted set or hash without elements, which old
	// servers could write. The server skips such a key when it loads the
	// file, and RESTORE refuses its payload.
	Empty bool

	// AuxEntry: Name and Value; FunctionEntry: Value.
	Name, Value []byte

	// ResizeDBEntry and SlotInfoEntry hints.
	Keys, Expires uint64
	Slot          uint64

	// Module is set for module keys (type 7) and ModuleAuxEntry.
	Module Module
	When   uint64 // ModuleAuxEntry: before (1) or after (2) the keyspace

	version     int
	valueOffset int64
}

// Reader reads an RDB file record by record.
type Reader struct {
	s        src
	header   string
	version  int
	db       int
	discard  bool
	check    bool
	err      error // sticky: every Next after a failure returns it
	checksum Checksum
	e        Entry
	keyBuf   []byte
	nameBuf  []byte
	valBuf   []byte
	blobBuf  []byte // CheckEncodings: one compact encoding, uncompressed
}

// Checksum reports the CRC64 after the EOF opcode.
type Checksum struct {
	// Status is "verified", "disabled" (the writer stored 0: rdbchecksum no)
	// or "none" (RDB versions before 5 have no checksum).
	Status string `json:"status"`
	Value  string `json:"value,omitempty"` // the stored CRC64 in hex
}

// NewReader reads and checks the header ("REDISnnnn" or "VALKEYnnn").
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{s: src{rd: r, buf: make([]byte, initialBufSize), pin: -1}}
	h, err := rd.s.bytes(9, `9-byte header "REDISnnnn" or "VALKEYnnn"`)
	if err != nil {
		return nil, err
	}
	var digits []byte
	switch {
	case bytes.HasPrefix(h, []byte("REDIS")):
		digits = h[5:]
	case bytes.HasPrefix(h, []byte("VALKEY")):
		digits = h[6:]
	default:
		return nil, corrupt(0, "not an RDB file: header %q, want REDISnnnn or VALKEYnnn", h)
	}
	v, err := strconv.Atoi(string(digits))
	if err != nil || v < 1 {
		return nil, corrupt(0, "bad RDB version in header %q", h)
	}
	rd.header, rd.version = string(h), v
	return rd, nil
}

// Version is the RDB version from the header (e.g. 11, 12, 80).
func (r *Reader) Version() int { return r.version }

// Header is the 9-byte header text, e.g. "REDIS0011".
func (r *Reader) Header() string { return r.header }

// Offset is the number of bytes consumed so far (for progress).
func (r *Reader) Offset() int64 { return r.s.off() }

// Checksum is valid once Next has returned io.EOF.
func (r *Reader) Checksum() Checksum { return r.checksum }

// DiscardValues makes Next skip value bytes without keeping them: Entry.Raw
// is nil (Size is still set) and memory stays at the buffer size whatever
// the size of a value. For scans such as Inspect.
func (r *Reader) DiscardValues() { r.discard = true }

// CheckEncodings makes Next check the compact encodings inside values
// (listpacks, ziplists, intsets, zipmaps) as the server's deep integrity
// check does: header lengths and counts, every entry's encoding and
// lengths, the end byte. A damaged value is then an error naming its key
// before anything is loaded, even when the file's CRC is disabled. Memory
// grows to the largest single encoding (a few KB with default settings).
func (r *Reader) CheckEncodings() { r.check = true }

// Next returns the next record. It returns io.EOF after the EOF opcode once
// the checksum has been verified, and a *Error for corrupt or truncated input.
func (r *Reader) Next() (*Entry, error) {
	if r.err != nil {
		return nil, r.err
	}
	e, err := r.next()
	if err != nil {
		r.err = err
		return nil, err
	}
	return e, nil
}

func (r *Reader) next() (*Entry, error) {
	s := &r.s
	s.pin = -1
	s.shrink()
	e := &r.e
	*e = Entry{DB: r.db, ExpireMS: -1, Idle: -1, Freq: -1, version: r.version}
	e.Offset = s.off()
	for {
		at := s.off()
		op, err := s.byte1("an opcode or a value type (the file must end with the EOF opcode 0xFF)")
		if err != nil {
			return nil, err
		}
		switch op {
		case opExpireMS:
			v, err := s.u64le("8-byte expiry in ms after opcode 0xFC")
			if err != nil {
				return nil, err
			}
			e.ExpireMS = int64(v)
		case opExpireSec:
			b, err := s.bytes(4, "4-byte expiry in seconds after opcode 0xFD")
			if err != nil {
				return nil, err
			}
			e.ExpireMS = int64(int32(binary.LittleEndian.Uint32(b))) * 1000
		case opIdle:
			v, err := s.count("LRU idle time after opcode 0xF8")
			if err != nil {
				return nil, err
			}
			e.Idle = int64(v)
		case opFreq:
			b, err := s.byte1("LFU counter after opcode 0xF9")
			if err != nil {
				return nil, err
			}
			e.Freq = int(b)
		case opSelectDB:
			v, err := s.count("database number after SELECTDB")
			if err != nil {
				return nil, err
			}
			if v > 1<<31-1 {
				return nil, corrupt(at, "implausible database number %d", v)
			}
			r.db, e.DB = int(v), int(v)
			e.Offset = s.off()
		case opEOF:
			return nil, r.finish()
		default:
			if op >= opSlotInfo {
				e.Offset = at
				return e, r.readNote(op, e)
			}
			return e, r.readKey(op, e)
		}
	}
}

func (r *Reader) readKey(typ byte, e *Entry) error {
	s := &r.s
	var err error
	if r.keyBuf, err = s.appendStr(r.keyBuf[:0], "key name"); err != nil {
		return err
	}
	e.Kind, e.Type, e.Key = KeyEntry, typ, r.keyBuf
	e.valueOffset = s.off()
	if !r.discard {
		s.pin = s.r
	}
	if err := r.skipValue(typ, e); err != nil {
		return inKey(err, e)
	}
	e.Size = s.off() - e.valueOffset
	if !r.discard {
		e.Raw = s.buf[s.pin:s.r]
	}
	return nil
}

// inKey makes a damaged value's error name its key.
func inKey(err error, e *Entry) error {
	var re *Error
	if errors.As(err, &re) && !re.Truncated {
		re.What = fmt.Sprintf("key %s in db %d (%s): %s", printable(e.Key), e.DB, TypeName(e.Type), re.What)
	}
	return err
}

// readNote reads the records that are not keys.
func (r *Reader) readNote(op byte, e *Entry) error {
	s := &r.s
	var err error
	switch op {
	case opAux:
		e.Kind = AuxEntry
		if r.nameBuf, err = s.appendStr(r.nameBuf[:0], "AUX field name"); err != nil {
			return err
		}
		if r.valBuf, err = s.appendStr(r.valBuf[:0], "AUX field value"); err != nil {
			return err
		}
		e.Name, e.Value = r.nameBuf, r.valBuf
	case opResizeDB:
		e.Kind = ResizeDBEntry
		if e.Keys, err = s.count("RESIZEDB key count"); err != nil {
			return err
		}
		e.Expires, err = s.count("RESIZEDB expires count")
	case opSlotInfo:
		e.Kind = SlotInfoEntry
		if e.Slot, err = s.count("SLOT_INFO slot id"); err != nil {
			return err
		}
		if e.Keys, err = s.count("SLOT_INFO slot size"); err != nil {
			return err
		}
		e.Expires, err = s.count("SLOT_INFO expires size")
	case opFunction2:
		e.Kind = FunctionEntry
		r.valBuf, err = s.appendStr(r.valBuf[:0], "function library code")
		e.Value = r.valBuf
	case opFunctionPreGA:
		e.Kind = FunctionEntry
		err = r.readOldFunction(e)
	case opModuleAux:
		e.Kind = ModuleAuxEntry
		err = r.readModuleAux(e)
	default:
		err = corrupt(e.Offset, "unknown opcode or value type 0x%02x", op)
	}
	return err
}

// readOldFunction reads the Redis 7.0 rc1/rc2 function record (name, engine,
// optional description, code) and rebuilds the shebang form later versions
// store, as Redis does when it loads one.
func (r *Reader) readOldFunction(e *Entry) error {
	s := &r.s
	name, err := s.appendStr(nil, "function library name")
	if err != nil {
		return err
	}
	engine, err := s.appendStr(nil, "function engine name")
	if err != nil {
		return err
	}
	hasDesc, err := s.count("function description flag")
	if err != nil {
		return err
	}
	if hasDesc != 0 {
		if err := s.skipStr("function description"); err != nil {
			return err
		}
	}
	r.valBuf = fmt.Appendf(r.valBuf[:0], "#!%s name=%s\n", engine, name)
	if r.valBuf, err = s.appendStr(r.valBuf, "function code"); err != nil {
		return err
	}
	e.Value = r.valBuf
	return nil
}

func (r *Reader) readModuleAux(e *Entry) error {
	s := &r.s
	id, err := s.count("module id of MODULE_AUX")
	if err != nil {
		return err
	}
	e.Module = moduleFromID(id)
	at := s.off()
	whenOp, err := s.count("MODULE_AUX 'when' opcode")
	if err != nil {
		return err
	}
	if whenOp != moduleOpUint {
		return corrupt(at, "MODULE_AUX of module %s: 'when' opcode is %d, want %d", e.Module.Name, whenOp, moduleOpUint)
	}
	if e.When, err = s.count("MODULE_AUX 'when' value"); err != nil {
		return err
	}
	return r.skipModuleData(e.Module)
}

// finish checks the CRC64 after the EOF opcode.
func (r *Reader) finish() error {
	s := &r.s
	s.sumTo(s.r)
	if r.version < 5 {
		r.checksum = Checksum{Status: "none"}
		return io.EOF
	}
	sumAt := s.off()
	v, err := s.u64le("8-byte CRC64 after EOF opcode")
	if err != nil {
		return err
	}
	r.checksum = Checksum{Status: "verified", Value: fmt.Sprintf("%016x", v)}
	if v == 0 {
		r.checksum.Status = "disabled"
	} else if v != s.crc {
		return corrupt(sumAt, "checksum mismatch: the file stores CRC64 %016x but its %d bytes hash to %016x (damaged or incomplete copy)", v, sumAt, s.crc)
	}
	return io.EOF
}
