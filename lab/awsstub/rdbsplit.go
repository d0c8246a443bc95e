package awsstub

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cutover/cutover/steps/rdb"
)

// RDB opcodes the split writes.
const (
	rdbOpFunction = 0xF5
	rdbOpAux      = 0xFA
	rdbOpExpireMS = 0xFC
	rdbOpSelectDB = 0xFE
	rdbOpEOF      = 0xFF
)

// splitRDB writes the RDB at path as len(out) RDB files, as a serverless
// export spreads a cache over several objects: every file has the header
// and AUX fields, each key goes to one file by the CRC64 of its name, and
// function libraries go to the first. Each file is a valid RDB of its own,
// with its checksum. Size hints (RESIZEDB, slot info), LRU/LFU data and
// module AUX data are left out, as a rewrite by the server would.
func splitRDB(path string, out []string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	r, err := rdb.NewReader(bufio.NewReaderSize(in, 1<<16))
	if err != nil {
		return err
	}
	parts := make([]*rdbPart, len(out))
	for i, p := range out {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		defer f.Close()
		parts[i] = &rdbPart{f: f, w: bufio.NewWriterSize(f, 1<<16), db: -1}
		parts[i].raw([]byte(r.Header()))
	}
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("split %s: %w", path, err)
		}
		switch e.Kind {
		case rdb.AuxEntry:
			for _, p := range parts {
				p.raw([]byte{rdbOpAux}).str(e.Name).str(e.Value)
			}
		case rdb.FunctionEntry:
			parts[0].raw([]byte{rdbOpFunction}).str(e.Value)
		case rdb.KeyEntry:
			p := parts[rdb.CRC64(0, e.Key)%uint64(len(parts))]
			if p.db != e.DB {
				p.raw([]byte{rdbOpSelectDB}).length(uint64(e.DB))
				p.db = e.DB
			}
			if e.ExpireMS >= 0 {
				p.raw([]byte{rdbOpExpireMS}).raw(binary.LittleEndian.AppendUint64(nil, uint64(e.ExpireMS)))
			}
			p.raw([]byte{e.Type}).str(e.Key).raw(e.Raw)
		}
	}
	for _, p := range parts {
		if err := p.end(); err != nil {
			return err
		}
	}
	return nil
}

// rdbPart is one output file and the running CRC64 of what it holds.
type rdbPart struct {
	f   *os.File
	w   *bufio.Writer
	crc uint64
	db  int // the database last selected, -1 before any
	err error
}

func (p *rdbPart) raw(b []byte) *rdbPart {
	if p.err == nil {
		p.crc = rdb.CRC64(p.crc, b)
		_, p.err = p.w.Write(b)
	}
	return p
}

// length writes an RDB length encoding.
func (p *rdbPart) length(n uint64) *rdbPart {
	switch {
	case n < 1<<6:
		return p.raw([]byte{byte(n)})
	case n < 1<<14:
		return p.raw([]byte{byte(n>>8) | 0x40, byte(n)})
	case n <= 0xFFFFFFFF:
		return p.raw(binary.BigEndian.AppendUint32([]byte{0x80}, uint32(n)))
	}
	return p.raw(binary.BigEndian.AppendUint64([]byte{0x81}, n))
}

func (p *rdbPart) str(s []byte) *rdbPart { return p.length(uint64(len(s))).raw(s) }

// end writes the EOF opcode and the checksum, and closes the file.
func (p *rdbPart) end() error {
	p.raw([]byte{rdbOpEOF})
	sum := binary.LittleEndian.AppendUint64(nil, p.crc)
	if p.err == nil {
		_, p.err = p.w.Write(sum)
	}
	if p.err == nil {
		p.err = p.w.Flush()
	}
	if err := p.f.Close(); p.err == nil {
		p.err = err
	}
	return p.err
}
