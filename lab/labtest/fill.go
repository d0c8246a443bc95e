package labtest

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/servers"
)

// Fill writes n string keys k:0.. (random values up to 300 bytes, a third
// of them with no TTL) and a list, the same every run.
func Fill(t testing.TB, r *servers.Redis, n int) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), Password: r.Password})
	defer c.Close()
	ctx := context.Background()
	p := c.Pipeline()
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		val := make([]byte, rnd.IntN(300))
		for j := range val {
			val[j] = byte('a' + rnd.IntN(26))
		}
		p.Set(ctx, "k:"+strconv.Itoa(i), val, time.Duration(i%3)*time.Hour)
	}
	p.RPush(ctx, "list", "a", "b", "c")
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}
