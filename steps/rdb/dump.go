package rdb

import (
	"encoding/binary"
	"fmt"
)

// AppendDumpPayload appends the payload RESTORE takes to dst: the type
// byte, the raw value bytes as read from an RDB file, the 2-byte
// little-endian RDB version and the 8-byte little-endian CRC64 of all that.
// Stamping a lower version than the file's is valid when
// RestorableOn(typ, version) holds: the value's encoding does not depend on
// the version.
func AppendDumpPayload(dst []byte, typ byte, raw []byte, rdbVersion uint16) []byte {
	mark := len(dst)
	dst = append(dst, typ)
	dst = append(dst, raw...)
	dst = binary.LittleEndian.AppendUint16(dst, rdbVersion)
	return binary.LittleEndian.AppendUint64(dst, CRC64(0, dst[mark:]))
}

// ParseDumpPayload checks a payload from DUMP (or AppendDumpPayload) and splits
// it into its type byte, raw value bytes (aliasing p) and RDB version.
func ParseDumpPayload(p []byte) (typ byte, raw []byte, rdbVersion uint16, err error) {
	if len(p) < 11 {
		return 0, nil, 0, fmt.Errorf("rdb: DUMP payload of %d bytes is too short (type byte, value, 2-byte version and 8-byte CRC64 make at least 11)", len(p))
	}
	body, sum := p[:len(p)-8], binary.LittleEndian.Uint64(p[len(p)-8:])
	if got := CRC64(0, body); got != sum {
		return 0, nil, 0, fmt.Errorf("rdb: DUMP payload checksum mismatch: it stores %016x, its bytes hash to %016x", sum, got)
	}
	return p[0], body[1 : len(body)-2], binary.LittleEndian.Uint16(body[len(body)-2:]), nil
}
