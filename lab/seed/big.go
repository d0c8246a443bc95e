package seed

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Names of the stream and the big keys (present when n >= 100).
const (
	StreamKey    = "stream:orders"
	BigStringKey = "big:blob"
	BigListKey   = "big:list"
	BigHashKey   = "big:hash"
	BigZSetKey   = "big:zset"
)

// perCommand bounds the arguments of one RPUSH/HSET/ZADD of a big key.
const perCommand = 1000

func writeBigString(p redis.Pipeliner, g *gen, n int) {
	_, size := bigSize(n)
	p.Set(context.Background(), BigStringKey, g.text(size), 0)
}

func writeBigList(p redis.Pipeliner, g *gen, n int) {
	ctx := context.Background()
	elements, _ := bigSize(n)
	p.Del(ctx, BigListKey)
	for start := 0; start < elements; start += perCommand {
		batch := make([]any, min(perCommand, elements-start))
		for j := range batch {
			batch[j] = "event:" + strconv.Itoa(start+j) + ":" + g.hex(8)
		}
		p.RPush(ctx, BigListKey, batch...)
	}
}

func writeBigHash(p redis.Pipeliner, g *gen, n int) {
	ctx := context.Background()
	elements, _ := bigSize(n)
	p.Del(ctx, BigHashKey)
	for start := 0; start < elements; start += perCommand {
		batch := make([]any, 0, 2*perCommand)
		for j := start; j < min(start+perCommand, elements); j++ {
			batch = append(batch, "field:"+strconv.Itoa(j), g.hex(12))
		}
		p.HSet(ctx, BigHashKey, batch...)
	}
}

func writeBigZSet(p redis.Pipeliner, g *gen, n int) {
	ctx := context.Background()
	elements, _ := bigSize(n)
	p.Del(ctx, BigZSetKey)
	for start := 0; start < elements; start += perCommand {
		batch := make([]redis.Z, 0, perCommand)
		for j := start; j < min(start+perCommand, elements); j++ {
			batch = append(batch, redis.Z{Score: float64(g.r.IntN(1_000_000)), Member: "member:" + strconv.Itoa(j)})
		}
		p.ZAdd(ctx, BigZSetKey, batch...)
	}
}

// writeStream adds order events and two consumer groups: "billing" has read
// the first 100 entries without acknowledging them (a pending list), and
// "analytics" starts at the end.
func writeStream(p redis.Pipeliner, g *gen, n int) {
	ctx := context.Background()
	p.Del(ctx, StreamKey)
	for i := range min(max(n/200, 10), 1000) {
		p.XAdd(ctx, &redis.XAddArgs{Stream: StreamKey, Values: []any{
			"order_id", strconv.Itoa(100000 + i), "user", strconv.Itoa(g.r.IntN(1_000_000)),
			"amount_cents", strconv.Itoa(g.between(100, 50000)), "status", g.pick(statuses),
		}})
	}
	p.XGroupCreate(ctx, StreamKey, "billing", "0")
	p.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "billing", Consumer: "worker-1", Streams: []string{StreamKey, ">"}, Count: 100})
	p.XGroupCreate(ctx, StreamKey, "analytics", "$")
}
