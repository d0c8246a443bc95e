package rdb

import (
	"bytes"
	"io"
	"os"
	"testing"
)

// FuzzReader feeds mutated files to the reader and decoders: they may fail,
// never panic, and any error must name an offset. Seeds: the testdata
// files, each of their records as a small file of its own (small inputs
// mutate and minimise far faster), the old-format assets and the synthetic
// file. Run with -fuzzminimizetime of a few seconds: minimising a 50 KB
// input takes the default minute.
func FuzzReader(f *testing.F) {
	for _, path := range testdataFiles(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		for _, mini := range perRecordFiles(f, data) {
			f.Add(mini)
		}
	}
	f.Add(syntheticRDB(true))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for {
			e, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("error of type %T: %v", err, err)
				}
				return
			}
			if e.Kind != KeyEntry {
				continue
			}
			if int64(len(e.Raw)) != e.Size {
				t.Fatalf("raw %d bytes, size %d", len(e.Raw), e.Size)
			}
			v, err := e.Decode()
			if err != nil {
				continue
			}
			if _, err := Commands(e.Key, v, e.ExpireMS, Capabilities{StreamMeta: true}, func([]any) error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// perRecordFiles wraps each key record of an RDB file in a file of its own
// (same header, the record, EOF and a valid checksum).
func perRecordFiles(f *testing.F, data []byte) [][]byte {
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for {
		e, err := r.Next()
		if err != nil {
			return out
		}
		if e.Kind != KeyEntry || len(e.Raw) > 4096 {
			continue
		}
		w := (&rdbWriter{}).raw([]byte(r.Header())...)
		if e.ExpireMS >= 0 {
			w.raw(opExpireMS).u64(uint64(e.ExpireMS))
		}
		w.raw(e.Type).str(string(e.Key)).raw(e.Raw...)
		out = append(out, w.end(true))
	}
}

// FuzzDecodeValue feeds mutated raw values of every type to the decoders.
func FuzzDecodeValue(f *testing.F) {
	for _, path := range testdataFiles(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			f.Fatal(err)
		}
		for {
			e, err := r.Next()
			if err != nil {
				break
			}
			if e.Kind == KeyEntry && len(e.Raw) < 4096 {
				f.Add(e.Type, bytes.Clone(e.Raw), uint16(r.Version()))
			}
		}
	}
	f.Fuzz(func(t *testing.T, typ byte, raw []byte, version uint16) {
		v, err := DecodeValue(typ, raw, int(version))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if v == nil {
			t.Fatal("nil value without an error")
		}
	})
}
