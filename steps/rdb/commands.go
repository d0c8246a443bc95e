package rdb

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

const (
	// batchElements bounds the elements (or field/value pairs) per command.
	batchElements = 1000
	// stringChunk bounds the bytes per SET/APPEND of a big string.
	stringChunk = 1 << 20
)

// Capabilities are what the target accepts beyond the commands every
// supported server has.
type Capabilities struct {
	// StreamMeta: XSETID ... ENTRIESADDED/MAXDELETEDID and XGROUP CREATE
	// ... ENTRIESREAD (Redis 7.0+, every Valkey).
	StreamMeta bool
	// HashFieldTTL: HPEXPIREAT (Redis 7.4+, Valkey 9.0+).
	HashFieldTTL bool
}

// CapabilitiesFor reads Capabilities from INFO server's redis_version and,
// on Valkey, valkey_version ("" on Redis).
func CapabilitiesFor(redisVersion, valkeyVersion string) Capabilities {
	if valkeyVersion != "" {
		return Capabilities{StreamMeta: true, HashFieldTTL: atLeast(valkeyVersion, 9, 0)}
	}
	return Capabilities{StreamMeta: atLeast(redisVersion, 7, 0), HashFieldTTL: atLeast(redisVersion, 7, 4)}
}

func atLeast(version string, major, minor int) bool {
	parts := strings.SplitN(version, ".", 3)
	ma, err1 := strconv.Atoi(parts[0])
	mi := 0
	var err2 error
	if len(parts) > 1 {
		mi, err2 = strconv.Atoi(parts[1])
	}
	return err1 == nil && err2 == nil && (ma > major || ma == major && mi >= minor)
}

// Commands rebuilds key with ordinary commands, for a target that cannot
// RESTORE the value's payload. It emits, in order: DEL, the commands that
// recreate the value (big values as several commands of at most 1000
// elements or 1 MiB each), then PEXPIREAT when expireMS >= 0. Arguments are
// strings and []byte ready for a go-redis Do or pipeline; the []byte alias v.
// What the target cannot hold is returned as warnings, one per problem,
// naming the key; emit's first error stops the rebuild.
func Commands(key []byte, v Value, expireMS int64, caps Capabilities, emit func(args []any) error) (warnings []string, err error) {
	b := &builder{key: key, caps: caps, emit: emit}
	b.cmd("DEL", key)
	switch v := v.(type) {
	case String:
		b.str(v)
	case List:
		b.batched("RPUSH", v)
	case Set:
		b.batched("SADD", v)
	case ZSet:
		b.zset(v)
	case Hash:
		b.hash(v)
	case *Stream:
		b.stream(v)
	default:
		return nil, fmt.Errorf("rdb: key %q: cannot rebuild a %T value with commands", key, v)
	}
	if expireMS >= 0 {
		b.cmd("PEXPIREAT", key, strconv.FormatInt(expireMS, 10))
	}
	return b.warnings, b.err
}

type builder struct {
	key      []byte
	caps     Capabilities
	emit     func([]any) error
	err      error
	warnings []string
}

func (b *builder) cmd(args ...any) {
	if b.err == nil {
		b.err = b.emit(args)
	}
}

func (b *builder) warn(format string, args ...any) {
	b.warnings = append(b.warnings, fmt.Sprintf("key %q: ", b.key)+fmt.Sprintf(format, args...))
}

func (b *builder) str(v []byte) {
	first := min(len(v), stringChunk)
	b.cmd("SET", b.key, v[:first])
	for rest := v[first:]; len(rest) > 0 && b.err == nil; {
		n := min(len(rest), stringChunk)
		b.cmd("APPEND", b.key, rest[:n])
		rest = rest[n:]
	}
}

func (b *builder) batched(name string, elems [][]byte) {
	for len(elems) > 0 && b.err == nil {
		n := min(len(elems), batchElements)
		args := make([]any, 0, 2+n)
		args = append(args, name, b.key)
		for _, e := range elems[:n] {
			args = append(args, e)
		}
		b.cmd(args...)
		elems = elems[n:]
	}
}

// scoreArg writes a score so the server parses back the exact double.
func scoreArg(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func (b *builder) zset(v ZSet) {
	for len(v) > 0 && b.err == nil {
		n := min(len(v), batchElements)
		args := make([]any, 0, 2+2*n)
		args = append(args, "ZADD", b.key)
		for _, m := range v[:n] {
			args = append(args, scoreArg(m.Score), m.Member)
		}
		b.cmd(args...)
		v = v[n:]
	}
}

func (b *builder) hash(v Hash) {
	var ttls []int // indexes of fields with a TTL
	for rest := v; len(rest) > 0 && b.err == nil; {
		n := min(len(rest), batchElements)
		args := make([]any, 0, 2+2*n)
		args = append(args, "HSET", b.key)
		for _, f := range rest[:n] {
			args = append(args, f.Field, f.Value)
		}
		b.cmd(args...)
		rest = rest[n:]
	}
	for i, f := range v {
		if f.ExpireMS >= 0 {
			ttls = append(ttls, i)
		}
	}
	if len(ttls) == 0 {
		return
	}
	if !b.caps.HashFieldTTL {
		first := v[ttls[0]]
		b.warn("%d field TTL(s) cannot be set (e.g. field %q expiring %s): the target lacks HPEXPIREAT (Redis 7.4+, Valkey 9.0+); those fields are kept without expiry",
			len(ttls), first.Field, time.UnixMilli(first.ExpireMS).UTC().Format(time.RFC3339))
		return
	}
	// One HPEXPIREAT per distinct expiry, each with at most 1000 fields.
	byExp := map[int64][]any{}
	var order []int64
	for _, i := range ttls {
		exp := v[i].ExpireMS
		if _, ok := byExp[exp]; !ok {
			order = append(order, exp)
		}
		byExp[exp] = append(byExp[exp], v[i].Field)
	}
	for _, exp := range order {
		for fields := byExp[exp]; len(fields) > 0 && b.err == nil; {
			n := min(len(fields), batchElements)
			args := []any{"HPEXPIREAT", b.key, strconv.FormatInt(exp, 10), "FIELDS", strconv.Itoa(n)}
			b.cmd(append(args, fields[:n]...)...)
			fields = fields[n:]
		}
	}
}
