package rdb

import (
	"bytes"
	"io"
	"slices"
	"strconv"
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
}

// DBSummary counts one database.
type DBSummary struct {
	DB       int   `json:"db"`
	Keys     int64 `json:"keys"`
	Expiring int64 `json:"expiring_keys"`
	Expired  int64 `json:"already_expired_keys"`
	// The RESIZEDB hint the writer recorded (0 when absent).
	HintKeys    uint64 `json:"resize_hint_keys"`
	HintExpires uint64 `json:"resize_hint_expires"`
}

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
	progressEvery = 4 << 20
)

// Inspect reads a whole RDB file and summarises it; keys whose expiry is
// before now count as already expired. fn, if not nil, gets progress every
// few MB and at the end. On a read or format error it returns what it had
// summarised so far with the error.
func Inspect(r io.Reader, now time.Time, fn func(Progress)) (*Summary, error) {
	rd, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	rd.DiscardValues()
	in := inspector{sum: &Summary{Header: rd.Header(), Version: rd.Version(), Aux: map[string]string{},
		Kinds: map[Kind]int64{}, Types: map[string]int64{}, DBs: []DBSummary{}, Biggest: []BigKey{},
		Functions: []Function{}, Modules: []ModuleNote{}}, now: now.UnixMilli(), db: -1}
	next := int64(progressEvery)
	for {
		e, err := rd.Next()
		if err != nil {
			in.finish(rd)
			if err == io.EOF {
				err = nil
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
		if e.ExpireMS >= 0 {
			s.Expiring++
			d.Expiring++
			if e.ExpireMS < in.now {
				s.Expired++
				d.Expired++
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

func (in *inspector) big(e *Entry) {
	b := BigKey{DB: e.DB, Key: printable(e.Key), Type: TypeName(e.Type), Kind: KindOf(e.Type), Bytes: e.Size}
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
