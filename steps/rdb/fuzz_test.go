package rdb

import (
	"bytes"
	"io"
	"os"
	"testing"
)

// FuzzReader feeds mutated files to the reader and decoders: they may fail,
// never panic, and any error must name an offset.
func FuzzReader(f *testing.F) {
	for _, path := range testdataFiles(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
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
