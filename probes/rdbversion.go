package probes

import (
	"strconv"
	"strings"
)

// valkeyRDB is the first RDB version of Valkey's own format (VALKEY080).
const valkeyRDB = 80

// RDBVersion is the RDB version an engine writes: Redis 7.0 writes 10,
// 7.2 writes 11, 7.4 and later 12; Valkey before 9 writes 11 and 9 and
// later 80. valkeyVersion is INFO's valkey_version ("" on Redis). ok is
// false for a version it cannot read.
func RDBVersion(redisVersion, valkeyVersion string) (v int, ok bool) {
	if valkeyVersion != "" {
		major, _, ok := majorMinor(valkeyVersion)
		switch {
		case !ok:
			return 0, false
		case major >= 9:
			return valkeyRDB, true
		}
		return 11, true
	}
	major, minor, ok := majorMinor(redisVersion)
	switch {
	case !ok:
		return 0, false
	case major > 7 || major == 7 && minor >= 4:
		return 12, true
	case major == 7 && minor >= 2:
		return 11, true
	case major == 7:
		return 10, true
	case major >= 5:
		return 9, true
	case major == 4:
		return 8, true
	}
	return 7, true
}

func majorMinor(v string) (major, minor int, ok bool) {
	parts := strings.SplitN(v, ".", 3)
	major, err := strconv.Atoi(parts[0])
	if err != nil {
		return 0, 0, false
	}
	if len(parts) > 1 {
		if minor, err = strconv.Atoi(parts[1]); err != nil {
			return 0, 0, false
		}
	}
	return major, minor, true
}

// NativeLoad tells whether a target writing RDB version tgt can load a
// source's version src as is (RESTORE of the payloads); otherwise the
// values must be rebuilt with ordinary commands. Valkey reads Redis
// formats up to 11; Redis never reads Valkey's.
func NativeLoad(src, tgt int) bool {
	switch {
	case src >= valkeyRDB:
		return tgt >= src
	case tgt >= valkeyRDB:
		return src <= 11
	}
	return tgt >= src
}
