// Package rediscluster is what Redis Cluster's hashing and replies mean:
// the hash slot of a key, slot ranges as text, and CLUSTER NODES. It is
// pure, for the probes and the steps alike.
package rediscluster

import (
	"bytes"
	"strconv"
)

// Count is the number of hash slots of a Redis Cluster.
const Count = 16384

// crcTable is CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), the hash
// Redis Cluster puts keys in slots with.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

func crc16(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c = c<<8 ^ crcTable[byte(c>>8)^x]
	}
	return c
}

// Of is the hash slot of key: of the part between the first { and the
// next } when that part is not empty (a hash tag), else of the whole key.
func Of(key []byte) int {
	if i := bytes.IndexByte(key, '{'); i >= 0 {
		if j := bytes.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return int(crc16(key)) & (Count - 1)
}

// Ranges lists the runs of slots 0..n-1 for which in is true, as
// "0-5460" or "7".
func Ranges(n int, in func(slot int) bool) []string {
	var out []string
	for s := 0; s < n; s++ {
		if !in(s) {
			continue
		}
		e := s
		for e+1 < n && in(e+1) {
			e++
		}
		if e == s {
			out = append(out, strconv.Itoa(s))
		} else {
			out = append(out, strconv.Itoa(s)+"-"+strconv.Itoa(e))
		}
		s = e
	}
	return out
}
