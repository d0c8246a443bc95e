package parity

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/steps/rdb"
)

// Keys bigger than these are compared by size and a sample instead of a
// whole DUMP.
const (
	bigElements = 5000
	bigBytes    = 1 << 20
)

// meta is what a key looks like before its value is read.
type meta struct {
	exists bool
	typ    string // TYPE reply
	pttl   int64  // ms; -1 without expiry
	size   int64  // elements, or bytes of a string
	idle   int64  // OBJECT IDLETIME seconds; -1 when unknown
}

func (m meta) big() bool {
	if m.typ == "string" {
		return m.size > bigBytes
	}
	return m.size > bigElements
}

var sizeCmd = map[string]string{"string": "STRLEN", "list": "LLEN", "set": "SCARD", "zset": "ZCARD", "hash": "HLEN", "stream": "XLEN"}

// describe reads keys' type, TTL and size without touching their LRU
// clock (OBJECT IDLETIME, TYPE and PTTL do not; it is read first, before
// anything that does). idle asks for OBJECT IDLETIME too.
func describe(ctx context.Context, c redis.Cmdable, keys []string, idle bool) ([]meta, error) {
	out := make([]meta, len(keys))
	type cmds struct{ idle, typ, pttl *redis.Cmd }
	cs := make([]cmds, len(keys))
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			if idle {
				cs[i].idle = p.Do(ctx, "OBJECT", "IDLETIME", k)
			}
			cs[i].typ = p.Do(ctx, "TYPE", k)
			cs[i].pttl = p.Do(ctx, "PTTL", k)
		}
		return nil
	})
	if err != nil && !isReplyErr(err) {
		return nil, err
	}
	sizes := make([]*redis.Cmd, len(keys))
	_, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			typ, _ := cs[i].typ.Text()
			out[i] = meta{exists: typ != "" && typ != "none", typ: typ, idle: -1}
			out[i].pttl, _ = cs[i].pttl.Int64()
			if cs[i].idle != nil {
				if v, err := cs[i].idle.Int64(); err == nil {
					out[i].idle = v
				}
			}
			if cmd, ok := sizeCmd[typ]; ok {
				sizes[i] = p.Do(ctx, cmd, k)
			}
		}
		return nil
	})
	if err != nil && !isReplyErr(err) {
		return nil, err
	}
	for i, s := range sizes {
		if s != nil {
			out[i].size, _ = s.Int64()
		}
	}
	return out, nil
}

// dumps DUMPs keys and decodes the payloads; a missing key is nil.
func dumps(ctx context.Context, c redis.Cmdable, keys []string) ([]rdb.Value, error) {
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Dump(ctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) && !isReplyErr(err) {
		return nil, err
	}
	out := make([]rdb.Value, len(keys))
	for i, cmd := range cmds {
		payload, err := cmd.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("DUMP %q: %w", keys[i], err)
		}
		typ, raw, ver, err := rdb.ParseDumpPayload([]byte(payload))
		if err != nil {
			return nil, fmt.Errorf("DUMP %q: %w", keys[i], err)
		}
		if out[i], err = rdb.DecodeValue(typ, raw, int(ver)); err != nil {
			return nil, fmt.Errorf("DUMP %q: %w", keys[i], err)
		}
	}
	return out, nil
}

// isReplyErr tells a server's error reply to one command (kept on that
// command) from a failure of the connection.
func isReplyErr(err error) bool {
	var re redis.Error
	return errors.As(err, &re)
}
