package rdb

import (
	"bytes"
	"errors"
	"github.com/cutover/cutover/lab/labtest"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readAll reads every record and decodes every key, returning the first
// error Next gives (nil when it reaches io.EOF) and how many decodes failed.
func readAll(data []byte) (error, int) {
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		return err, 0
	}
	bad := 0
	for {
		e, err := r.Next()
		if err == io.EOF {
			return nil, bad
		}
		if err != nil {
			return err, bad
		}
		if e.Kind == KeyEntry {
			if _, err := e.Decode(); err != nil {
				bad++
				if !strings.Contains(err.Error(), "offset") {
					return errors.New("decode error without an offset: " + err.Error()), bad
				}
			}
		}
	}
}

func TestTruncatedEverywhere(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(labtest.RDBTestdata(t), "redis-7.4.1.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	for cut := 0; cut < len(data); cut++ {
		if cut > 64 && cut < len(data)-64 && cut%7 != 0 {
			continue
		}
		err, _ := readAll(data[:cut])
		var e *Error
		if !errors.As(err, &e) || !e.Truncated || e.Offset > int64(cut) || !strings.Contains(err.Error(), "truncated at offset") {
			t.Fatalf("cut at %d: want a truncation error at or before the cut, got %v", cut, err)
		}
	}
	// The final cut names the checksum.
	err, _ = readAll(data[:len(data)-3])
	if want := "rdb: truncated at offset 48575: expected 8-byte CRC64 after EOF opcode; the input ends at offset 48580"; err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestFlippedBytes(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(labtest.RDBTestdata(t), "valkey-9.0.4.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(data))
	decodeFailures := 0
	for i := 0; i < len(data); i += 13 {
		for _, mask := range []byte{0x01, 0xFF} {
			copy(buf, data)
			buf[i] ^= mask
			err, bad := readAll(buf)
			decodeFailures += bad
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(err.Error(), "offset") {
				t.Fatalf("byte %d ^ %#x: want an error naming an offset, got %v", i, mask, err)
			}
		}
	}
	if decodeFailures == 0 {
		t.Fatal("no flipped byte made a value undecodable: the decoders check nothing")
	}
	// A changed letter inside a string leaves the structure intact: only
	// the checksum at the end can catch it.
	copy(buf, data)
	buf[bytes.Index(buf, []byte("testlib"))+2] ^= 0x20
	if err, _ := readAll(buf); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("changed letter: %v", err)
	}
}

func TestBadHeaders(t *testing.T) {
	for in, want := range map[string]string{
		"":              "truncated at offset 0",
		"REDIS00":       "truncated at offset 0",
		"NOTREDIS!":     "not an RDB file",
		"REDISabcd":     "bad RDB version",
		"REDIS0000\xff": "bad RDB version",
	} {
		if _, err := NewReader(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("header %q: %v, want %q", in, err, want)
		}
	}
}

// failingReader returns data and then a non-EOF error.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadErrorIsNotTruncation(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(labtest.RDBTestdata(t), "redis-7.2.6.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("connection reset")
	r, err := NewReader(&failingReader{data: data[:1000], err: boom})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err = r.Next(); err != nil {
			break
		}
	}
	var re *ReadError
	if !errors.As(err, &re) || !errors.Is(err, boom) || re.Offset != 1000 {
		t.Fatalf("got %v", err)
	}
	if _, again := r.Next(); again != err {
		t.Fatalf("error not sticky: %v", again)
	}
}
