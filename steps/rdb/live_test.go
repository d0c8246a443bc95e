package rdb

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// dbClient is a plain RESP2 client for one database.
func dbClient(addr string, db int) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, DB: db, Protocol: 2, DisableIdentity: true, MaxRetries: -1,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}

// snapshot reads every key of databases 0..15 into canon form, keyed
// "db/base64(key)".
func snapshot(t *testing.T, ctx context.Context, addr string) map[string]canon {
	t.Helper()
	out := map[string]canon{}
	for db := range 16 {
		c := dbClient(addr, db)
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatalf("KEYS on db %d: %v", db, err)
		}
		for _, k := range keys {
			out[fmt.Sprint(db, "/", b64([]byte(k)))] = liveCanon(t, ctx, c, k)
		}
		c.Close()
	}
	return out
}

func liveCanon(t *testing.T, ctx context.Context, c *redis.Client, key string) canon {
	t.Helper()
	do := func(args ...any) any {
		v, err := c.Do(ctx, args...).Result()
		if err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", args, err)
		}
		return v
	}
	typ := do("TYPE", key).(string)
	cn := canon{Type: typ, ExpireMS: do("PEXPIRETIME", key).(int64)}
	strs := func(v any) []string {
		out := []string{}
		for _, x := range v.([]any) {
			out = append(out, b64([]byte(x.(string))))
		}
		return out
	}
	switch typ {
	case "string":
		cn.Value = b64([]byte(do("GET", key).(string)))
	case "list":
		cn.Value = strs(do("LRANGE", key, 0, -1))
	case "set":
		m := do("SMEMBERS", key).([]any)
		slices.SortFunc(m, func(a, b any) int { return bytes.Compare([]byte(a.(string)), []byte(b.(string))) })
		cn.Value = strs(m)
	case "zset":
		flat := do("ZRANGE", key, 0, -1, "WITHSCORES").([]any)
		z := [][2]string{}
		for i := 0; i < len(flat); i += 2 {
			z = append(z, [2]string{b64([]byte(flat[i].(string))), parseScore(t, flat[i+1].(string))})
		}
		cn.Value = z
	case "hash":
		flat := do("HGETALL", key).([]any)
		h := map[string]string{}
		for i := 0; i < len(flat); i += 2 {
			h[b64([]byte(flat[i].(string)))] = b64([]byte(flat[i+1].(string)))
		}
		cn.Value = h
	case "stream":
		cn.Value = liveStream(t, do, key)
	default:
		t.Fatalf("key %q: type %q", key, typ)
	}
	return cn
}

// pairsOf turns a RESP2 flat key/value array into a map.
func pairsOf(v any) map[string]any {
	flat := v.([]any)
	m := map[string]any{}
	for i := 0; i+1 < len(flat); i += 2 {
		m[flat[i].(string)] = flat[i+1]
	}
	return m
}

func liveStream(t *testing.T, do func(...any) any, key string) *cStream {
	info := pairsOf(do("XINFO", "STREAM", key))
	s := &cStream{Length: info["length"].(int64), Added: info["entries-added"].(int64),
		LastID: info["last-generated-id"].(string), MaxDeletedID: info["max-deleted-entry-id"].(string),
		FirstID: info["recorded-first-entry-id"].(string), Entries: []cEntry{}, Groups: []cGroup{}}
	for _, e := range do("XRANGE", key, "-", "+").([]any) {
		pair := e.([]any)
		ce := cEntry{ID: pair[0].(string), Fields: []string{}}
		for _, f := range pair[1].([]any) {
			ce.Fields = append(ce.Fields, b64([]byte(f.(string))))
		}
		s.Entries = append(s.Entries, ce)
	}
	for _, gv := range do("XINFO", "GROUPS", key).([]any) {
		g := pairsOf(gv)
		name := g["name"].(string)
		cg := cGroup{Name: name, LastDelivered: g["last-delivered-id"].(string), Consumers: []cConsumer{}, PEL: []cPending{}}
		if n, ok := g["entries-read"].(int64); ok {
			cg.EntriesRead = &n
		}
		for _, cv := range do("XINFO", "CONSUMERS", key, name).([]any) {
			c := pairsOf(cv)
			cg.Consumers = append(cg.Consumers, cConsumer{Name: c["name"].(string), Pending: int(c["pending"].(int64))})
		}
		for _, pv := range do("XPENDING", key, name, "-", "+", 1<<20).([]any) {
			p := pv.([]any)
			cg.PEL = append(cg.PEL, cPending{ID: p[0].(string), Consumer: p[1].(string), Count: p[3].(int64)})
		}
		s.Groups = append(s.Groups, cg)
	}
	sortStream(s)
	return s
}

// populate fills a Redis 7.0 server with every type and encoding it can
// write, across databases 0, 1, 5 and 15. With active expiry off, the key
// ttl:gone expires but stays in memory, so the next SAVE writes it.
func populate(t *testing.T, ctx context.Context, addr string) {
	t.Helper()
	run := func(db int, cmds ...[]any) {
		c := dbClient(addr, db)
		defer c.Close()
		for _, cmd := range cmds {
			if err := c.Do(ctx, cmd...).Err(); err != nil {
				t.Fatalf("db %d %v: %v", db, cmd[:min(len(cmd), 4)], err)
			}
		}
	}
	seq := func(prefix string, n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = prefix + strconv.Itoa(i)
		}
		return out
	}
	cmd := func(args ...any) []any { return args }
	withElems := func(head []any, elems []any) []any { return append(head, elems...) }
	random := func(n int, seed byte) string {
		b := make([]byte, n)
		x := uint32(seed) + 1
		for i := range b {
			x = x*1664525 + 1013904223
			b[i] = byte(x >> 24)
		}
		return string(b)
	}
	intRange := func(from, n, step int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = strconv.Itoa(from + i*step)
		}
		return out
	}
	scores := func(n int) []any {
		out := make([]any, 0, 2*n)
		for i := range n {
			out = append(out, strconv.FormatFloat(float64(i)*1.5-100, 'g', -1, 64), "m:"+strconv.Itoa(i))
		}
		return out
	}
	fieldPairs := func(n int, prefix string) []any {
		out := make([]any, 0, 2*n)
		for i := range n {
			out = append(out, prefix+"f"+strconv.Itoa(i), prefix+"v"+strconv.Itoa(i))
		}
		return out
	}
	bigText := random(3<<20, 7) // > the reader's 1 MiB buffer and the 1 MiB command chunk
	run(0,
		cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0"),
		cmd("SET", "str:int8", "-100"), cmd("SET", "str:int16", "30000"), cmd("SET", "str:int32", "-2000000000"),
		cmd("SET", "str:int64", "9223372036854775807"), cmd("SET", "str:lead0", "007"),
		cmd("SET", "str:embstr", "hello"), cmd("SET", "str:empty", ""), cmd("SET", "str:raw", random(100, 1)),
		cmd("SET", "str:lzf", bytes.Repeat([]byte("abcdefgh"), 200)), cmd("SET", "str:big", bigText),
		cmd("SET", "str:binary", "a\x00b\xff\r\nc"), cmd("SET", "key:\x00\xff\r\n", "binary key"),
		cmd("PFADD", "hll", "a", "b", "c", "d"), cmd("PFCOUNT", "hll"),
		cmd("SET", "ttl:ms", "x"), cmd("PEXPIREAT", "ttl:ms", "4102444800123"),
		cmd("SET", "ttl:sec", "y"), cmd("EXPIRE", "ttl:sec", "100000"),
		cmd("SET", "ttl:gone", "z"), cmd("PEXPIRE", "ttl:gone", "1"),
		cmd("RPUSH", "list:lp", "a", "1", "", "-7", "123456789012"),
		withElems(cmd("RPUSH", "list:ql"), seq("element-", 5000)),
		withElems(cmd("RPUSH", "list:bigelems"), []any{random(10000, 2), random(20000, 3), "small"}),
		cmd("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1000"),
		cmd("RPUSH", "list:plain", "a", "b", random(2000, 4), "c", random(3000, 5)),
		cmd("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1073741824"),
		withElems(cmd("RPUSH", "list:huge"), intRange(0, 100000, 7)),
		cmd("RPUSH", "list:ttl", "x"), cmd("PEXPIREAT", "list:ttl", "4102444801000"),
		withElems(cmd("SADD", "set:i16"), intRange(-5, 10, 1)),
		withElems(cmd("SADD", "set:i32"), intRange(-100000, 10, 30000)),
		withElems(cmd("SADD", "set:i64"), []any{"1", "-9223372036854775808", "9223372036854775807"}),
		withElems(cmd("SADD", "set:ht"), seq("member-", 300)),
		withElems(cmd("SADD", "set:manyints"), intRange(0, 600, 3)),
		withElems(cmd("SADD", "set:huge"), seq("s", 50000)),
		cmd("SADD", "set:small", "a", "", "z"),
		cmd("ZADD", "zset:lp", "1", "one", "2.5", "two.five", "-3.25", "neg", "+inf", "posinf", "-inf", "neginf", "0", "zero", "1e-300", "tiny", "123456789.125", "big"),
		withElems(cmd("ZADD", "zset:sl", "+inf", "pinf", "-inf", "ninf", "3.141592653589793", "pi", "1.7976931348623157e308", "max", "-0.1", "negtenth"), scores(200)),
		cmd("ZADD", "zset:same", "5", "c", "5", "a", "5", "b"),
		withElems(cmd("ZADD", "zset:huge"), scores(20000)),
		cmd("HSET", "hash:lp", "f", "", "", "empty-field", "b\x00in", "v\xff"),
		withElems(cmd("HSET", "hash:ht"), fieldPairs(600, "")),
		cmd("HSET", "hash:bigvalue", "f", random(100, 6)),
		withElems(cmd("HSET", "hash:huge"), fieldPairs(20000, "h")),
	)
	// Streams: deleted entries, two field sets, groups with PELs, an idle
	// consumer, a claimed entry, an empty stream and a fully deleted one.
	var stream [][]any
	for i := 1; i <= 12; i++ {
		if i%4 == 0 {
			stream = append(stream, cmd("XADD", "stream:main", fmt.Sprintf("1700000000000-%d", i), "other", "shape-"+strconv.Itoa(i)))
		} else {
			stream = append(stream, cmd("XADD", "stream:main", fmt.Sprintf("1700000000000-%d", i), "sensor", "s"+strconv.Itoa(i%3), "temp", strconv.Itoa(20+i), "note", "n"+strconv.Itoa(i)))
		}
	}
	stream = append(stream,
		cmd("XDEL", "stream:main", "1700000000000-2", "1700000000000-7"),
		cmd("XGROUP", "CREATE", "stream:main", "grp-a", "0"),
		cmd("XREADGROUP", "GROUP", "grp-a", "alice", "COUNT", "3", "STREAMS", "stream:main", ">"),
		cmd("XACK", "stream:main", "grp-a", "1700000000000-1"),
		cmd("XREADGROUP", "GROUP", "grp-a", "bob", "COUNT", "2", "STREAMS", "stream:main", ">"),
		cmd("XCLAIM", "stream:main", "grp-a", "bob", "0", "1700000000000-3"),
		cmd("XGROUP", "CREATE", "stream:main", "grp-b", "1700000000000-6"),
		cmd("XREADGROUP", "GROUP", "grp-b", "carol", "COUNT", "4", "STREAMS", "stream:main", ">"),
		cmd("XGROUP", "CREATECONSUMER", "stream:main", "grp-b", "idle-consumer"),
		cmd("XGROUP", "CREATE", "stream:empty", "g", "$", "MKSTREAM"),
		cmd("XADD", "stream:alldeleted", "5-1", "a", "1"), cmd("XADD", "stream:alldeleted", "5-2", "b", "2"),
		cmd("XDEL", "stream:alldeleted", "5-1", "5-2"),
		cmd("XGROUP", "CREATE", "stream:alldeleted", "late", "0"),
	)
	for i := range 3000 {
		stream = append(stream, cmd("XADD", "stream:big", "*", "i", strconv.Itoa(i), "payload", random(i%50, byte(i))))
	}
	stream = append(stream, cmd("XGROUP", "CREATE", "stream:big", "readers", "0"),
		cmd("XREADGROUP", "GROUP", "readers", "r1", "COUNT", "1500", "STREAMS", "stream:big", ">"))
	run(0, stream...)
	run(1, cmd("SET", "str:short", "db1 value"), cmd("RPUSH", "l", "1", "2"), cmd("HSET", "h", "a", "b"),
		cmd("SADD", "s", "x"), cmd("PEXPIREAT", "s", "4102444802000"))
	run(5, cmd("SET", "n", "5"), cmd("ZADD", "z", "1", "a"))
	run(15, cmd("XADD", "x", "9-9", "k", "v"))
}
