package rdb

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Progress is reported while Inspect reads.
type Progress struct {
	Bytes int64 `json:"bytes"` // consumed so far
	Keys  int64 `json:"keys"`
}

// Summary is what `cutover rdb inspect` shows.
type Summary struct {
	Header    string            `json:"header"`
	Version   int               `json:"rdb_version"`
	Engine    string            `json:"engine,omitempty"` // "redis 7.2.6" or "valkey 9.0.4", from the aux fields
	Aux       map[string]string `json:"aux"`
	Bytes     int64             `json:"bytes"`
	Keys      int64             `json:"keys"`
	Expiring  int64             `json:"expiring_keys"`
	Expired   int64             `json:"already_expired_keys"` // expiry before the given now
	DBs       []DBSummary       `json:"dbs"`
	Kinds     map[Kind]int64    `json:"kinds"` // keys per data type
	Types     map[string]int64  `json:"types"` // keys per RDB type (encoding)
	Biggest   []BigKey          `json:"biggest"`
	Functions []Function        `json:"functions"`
	Modules   []ModuleNote      `json:"modules"`
	SlotInfo  int64             `json:"slot_info_records"`
	Checksum  Checksum          `json:"checksum"`
	// Empty collections (not expired): the load skips them. EmptyKeys
	// lists the first few.
	Empty     int64    `json:"empty_keys"`
	EmptyKeys []BigKey `json:"empty"`
	// Warnings: what a load will not carry over (module data, empty
	// collections), one line each.
	Warnings []string `json:"warnings"`
	// TrailingBytes follow the RDB's end (EOF opcode and checksum);
	// TrailingAOF: they start like AOF commands, as in an AOF file with an
	// RDB preamble.
	TrailingBytes int64 `json:"trailing_bytes"`
	TrailingAOF   bool  `json:"trailing_aof"`
}

// DBSummary counts one database.
type DBSummary struct {
	DB       int   `json:"db"`
	Keys     int64 `json:"keys"`
	Expiring int64 `json:"expiring_keys"`
	Expired  int64 `json:"already_expired_keys"`
	Empty    int64 `json:"empty_keys"`
	// The RESIZEDB hint the writer recorded (0 when absent).
	HintKeys    uint64 `json:"resize_hint_keys"`
	HintExpires uint64 `json:"resize_hint_expires"`
}

// Loadable is how many keys of the db a load writes: not expired, not
// empty.
func (d DBSummary) Loadable() int64 { return d.Keys - d.Expired - d.Empty }

// Loadable is how many keys a load writes: not expired, not empty.
func (s *Summary) Loadable() int64 { return s.Keys - s.Expired - s.Empty }

// BigKey is one of the largest values by bytes in the file.
type BigKey struct {
	DB    int    `json:"db"`
	Key   string `json:"key"` // as is when printable, else a quoted Go string
	Type  string `json:"type"`
	Kind  Kind   `json:"kind"`
	Bytes int64  `json:"bytes"`
}

// Function is a function library found in the file.
type Function struct {
	Library string `json:"library"`
	Engine  string `json:"engine"`
	Bytes   int    `json:"bytes"`
}

// ModuleNote is module data the reader skipped: keys of a module type and
// MODULE_AUX records. Loading them needs the module on the target.
type ModuleNote struct {
	Module
	Keys       int64 `json:"keys"`
	AuxRecords int64 `json:"aux_records"`
}

const (
	biggestKept   = 10
	emptyKept     = 10
	progressEvery = 4 << 20
)

// Inspect reads a whole RDB file and summarises it, checking the compact
// encodings inside values (Reader.CheckEncodings); keys whose expiry is
// before now count as already expired. It reads r to its end and counts
// the bytes after the RDB's end. fn, if not nil, gets progress every few
// MB and at the end. On a read or format error it returns what it had
// summarised so far with the error.
func Inspect(r io.Reader, now time.Time, fn func(Progress)) (*Summary, error) {
	rd, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	rd.DiscardValues()
	rd.CheckEncodings()
	in := inspector{sum: &Summary{Header: rd.Header(), Version: rd.Version(), Aux: map[string]string{},
		Kinds: map[Kind]int64{}, Types: map[string]int64{}, DBs: []DBSummary{}, Biggest: []BigKey{},
		Functions: []Function{}, Modules: []ModuleNote{}, EmptyKeys: []BigKey{}, Warnings: []string{}},
		now: now.UnixMilli(), db: -1}
	next := int64(progressEvery)
	for {
		e, err := rd.Next()
		if err != nil {
			in.finish(rd)
			if err == io.EOF {
				err = in.trailing(rd)
			}
			if fn != nil {
				fn(Progress{Bytes: in.sum.Bytes, Keys: in.sum.Keys})
			}
			return in.sum, err
		}
		in.add(e)
		if fn != nil && rd.Offset() >= next {
			next = rd.Offset() + progressEvery
			fn(Progress{Bytes: rd.Offset(), Keys: in.sum.Keys})
		}
	}
}

type inspector struct {
	sum     *Summary
	now     int64
	db      int
	cur     *DBSummary
	types   [256]int64
	modules map[string]*ModuleNote
}

func (in *inspector) dbSummary(db int) *DBSummary {
	if in.cur != nil && in.db == db {
		return in.cur
	}
	i := slices.IndexFunc(in.sum.DBs, func(d DBSummary) bool { return d.DB == db })
	if i < 0 {
		in.sum.DBs = append(in.sum.DBs, DBSummary{DB: db})
		i = len(in.sum.DBs) - 1
	}
	in.db, in.cur = db, &in.sum.DBs[i]
	return in.cur
}

func (in *inspector) add(e *Entry) {
	s := in.sum
	switch e.Kind {
	case KeyEntry:
		d := in.dbSummary(e.DB)
		s.Keys++
		d.Keys++
		in.types[e.Type]++
		expired := e.ExpireMS >= 0 && e.ExpireMS < in.now
		if e.ExpireMS >= 0 {
			s.Expiring++
			d.Expiring++
			if expired {
				s.Expired++
				d.Expired++
			}
		}
		if e.Empty && !expired {
			s.Empty++
			d.Empty++
			if len(s.EmptyKeys) < emptyKept {
				s.EmptyKeys = append(s.EmptyKeys, keyOf(e))
			}
		}
		if len(s.Biggest) < biggestKept || e.Size > s.Biggest[len(s.Biggest)-1].Bytes {
			in.big(e)
		}
		if e.Type == TypeModule2 {
			in.module(e.Module).Keys++
		}
	case AuxEntry:
		s.Aux[string(e.Name)] = printable(e.Value)
	case ResizeDBEntry:
		d := in.dbSummary(e.DB)
		d.HintKeys, d.HintExpires = e.Keys, e.Expires
	case FunctionEntry:
		s.Functions = append(s.Functions, functionOf(e.Value))
	case ModuleAuxEntry:
		in.module(e.Module).AuxRecords++
	case SlotInfoEntry:
		s.SlotInfo++
	}
}

func keyOf(e *Entry) BigKey {
	return BigKey{DB: e.DB, Key: printable(e.Key), Type: TypeName(e.Type), Kind: KindOf(e.Type), Bytes: e.Size}
}

func (in *inspector) big(e *Entry) {
	b := keyOf(e)
	s := in.sum
	i, _ := slices.BinarySearchFunc(s.Biggest, b.Bytes, func(k BigKey, n int64) int {
		switch {
		case k.Bytes > n:
			return -1
		case k.Bytes < n:
			return 1
		}
		return 0
	})
	s.Biggest = slices.Insert(s.Biggest, i, b)
	if len(s.Biggest) > biggestKept {
		s.Biggest = s.Biggest[:biggestKept]
	}
}

func (in *inspector) module(m Module) *ModuleNote {
	if in.modules == nil {
		in.modules = map[string]*ModuleNote{}
	}
	n, ok := in.modules[m.Name]
	if !ok {
		n = &ModuleNote{Module: m}
		in.modules[m.Name] = n
	}
	return n
}

func (in *inspector) finish(rd *Reader) {
	s := in.sum
	s.Bytes = rd.Offset()
	s.Checksum = rd.Checksum()
	for t, n := range in.types {
		if n > 0 {
			s.Types[TypeName(byte(t))] += n
			s.Kinds[KindOf(byte(t))] += n
		}
	}
	for _, n := range in.modules {
		s.Modules = append(s.Modules, *n)
	}
	slices.SortFunc(s.Modules, func(a, b ModuleNote) int { return bytes.Compare([]byte(a.Name), []byte(b.Name)) })
	slices.SortFunc(s.DBs, func(a, b DBSummary) int { return a.DB - b.DB })
	if v, ok := s.Aux["valkey-ver"]; ok {
		s.Engine = "valkey " + v
	} else if v, ok := s.Aux["redis-ver"]; ok {
		s.Engine = "redis " + v
	}
	s.Warnings = append(s.Warnings, warnings(s)...)
}

// warnings says what a load will not carry over.
func warnings(s *Summary) []string {
	var out []string
	for _, m := range s.Modules {
		var parts []string
		if m.Keys > 0 {
			parts = append(parts, fmt.Sprintf("%s: the target refuses them unless it loads this module", plural(m.Keys, "key")))
		}
		if m.AuxRecords > 0 {
			parts = append(parts, fmt.Sprintf("%s (the module's own data outside the keys): RESTORE cannot carry it, so the load drops it; rebuild it on the target with the module", plural(m.AuxRecords, "aux record")))
		}
		out = append(out, fmt.Sprintf("module type %s (id %d, encoding version %d): %s", m.Name, m.ID, m.Version, strings.Join(parts, "; ")))
	}
	if s.Empty > 0 {
		names := make([]string, 0, 3)
		for _, k := range s.EmptyKeys[:min(3, len(s.EmptyKeys))] {
			names = append(names, fmt.Sprintf("db%d %s (%s)", k.DB, k.Key, k.Kind))
		}
		if s.Empty > int64(len(names)) {
			names = append(names, "...")
		}
		out = append(out, fmt.Sprintf("%s without elements (%s), which old servers could write: the load skips them, as the server does when it loads the file (RESTORE refuses them)",
			plural(s.Empty, "collection"), strings.Join(names, ", ")))
	}
	return out
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.FormatInt(n, 10) + " " + what + "s"
}

// trailing counts what follows the RDB's end, reading r to its end.
func (in *inspector) trailing(rd *Reader) error {
	n, head, err := rd.s.rest()
	in.sum.TrailingBytes = n
	in.sum.TrailingAOF = len(head) >= 2 && head[0] == '*' && head[1] >= '0' && head[1] <= '9'
	return err
}

// functionOf reads the library name and engine from the code's first line,
// "#!lua name=mylib".
func functionOf(code []byte) Function {
	f := Function{Bytes: len(code)}
	line, _, _ := bytes.Cut(code, []byte("\n"))
	if rest, ok := bytes.CutPrefix(line, []byte("#!")); ok {
		fields := bytes.Fields(rest)
		if len(fields) > 0 {
			f.Engine = string(fields[0])
		}
		for _, kv := range fields[1:] {
			if name, ok := bytes.CutPrefix(kv, []byte("name=")); ok {
				f.Library = string(name)
			}
		}
	}
	return f
}

// printable returns b as is when it is printable UTF-8, else quoted.
func printable(b []byte) string {
	if utf8.Valid(b) && bytes.IndexFunc(b, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return string(b)
	}
	return strconv.Quote(string(b))
}
