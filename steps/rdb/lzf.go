package rdb

import "errors"

var (
	errLZFOverflow = errors.New("LZF data decompresses to more bytes than its header says")
	errLZFInput    = errors.New("LZF data ends in the middle of an instruction")
	errLZFBackRef  = errors.New("LZF back reference points before the start of the output")
	errLZFShort    = errors.New("LZF data decompresses to fewer bytes than its header says")
	errLZFRatio    = errors.New("LZF header claims a size no LZF data of this length can expand to")
)

// lzfMaxRatio bounds the expansion: the best LZF instruction is 3 bytes
// producing 264, so a larger claimed size is corrupt (and must not be
// allocated).
const lzfMaxRatio = 88

// lzfDecompress expands in (the LZF format Redis writes for compressed strings)
// into exactly n bytes appended to dst.
func lzfDecompress(dst, in []byte, n int) ([]byte, error) {
	if n < 0 || n > lzfMaxRatio*len(in)+lzfMaxRatio {
		return dst, errLZFRatio
	}
	start := len(dst)
	if cap(dst)-start < n {
		grown := make([]byte, start, start+n)
		copy(grown, dst)
		dst = grown
	}
	out := dst[start : start+n]
	op := 0
	for ip := 0; ip < len(in); {
		ctrl := int(in[ip])
		ip++
		if ctrl < 32 { // literal run of ctrl+1 bytes
			run := ctrl + 1
			if ip+run > len(in) {
				return dst, errLZFInput
			}
			if op+run > n {
				return dst, errLZFOverflow
			}
			copy(out[op:], in[ip:ip+run])
			ip += run
			op += run
			continue
		}
		length := ctrl >> 5
		if length == 7 {
			if ip >= len(in) {
				return dst, errLZFInput
			}
			length += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return dst, errLZFInput
		}
		ref := op - (ctrl&0x1f)<<8 - 1 - int(in[ip])
		ip++
		length += 2
		if ref < 0 {
			return dst, errLZFBackRef
		}
		if op+length > n {
			return dst, errLZFOverflow
		}
		// The copy may overlap its own output (runs), so go byte by byte
		// unless the source lies wholly behind the destination.
		if ref+length <= op {
			copy(out[op:op+length], out[ref:ref+length])
		} else {
			for i := range length {
				out[op+i] = out[ref+i]
			}
		}
		op += length
	}
	if op != n {
		return dst, errLZFShort
	}
	return dst[:start+n], nil
}
