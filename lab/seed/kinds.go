package seed

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ProfileKey names the i-th profile string: user:<i>:profile.
func ProfileKey(i int) string { return "user:" + strconv.Itoa(i) + ":profile" }

// TTLs are hours or days long so keys do not vanish during a lab session;
// only the otp: keys are short.
func writeProfile(p redis.Pipeliner, g *gen, i int) {
	p.Set(context.Background(), ProfileKey(i), g.profileJSON(i), 0)
}

func writeSession(p redis.Pipeliner, g *gen, i int) {
	ttl := 24*time.Hour + time.Duration(g.r.IntN(3600))*time.Second
	p.Set(context.Background(), "session:"+g.hex(24)+strconv.Itoa(i), `{"user":`+strconv.Itoa(g.r.IntN(1_000_000))+`,"csrf":"`+g.hex(32)+`"}`, ttl)
}

func writePage(p redis.Pipeliner, g *gen, i int) {
	ttl := time.Duration(g.between(2, 12)) * time.Hour
	p.Set(context.Background(), "cache:page:/products/"+strconv.Itoa(i), "<html><body>"+g.text(g.between(200, 900))+"</body></html>", ttl)
}

func writeCart(p redis.Pipeliner, g *gen, i int) {
	ctx := context.Background()
	key := "cart:" + strconv.Itoa(i)
	items := make([]any, 0, 16)
	for range g.between(1, 8) {
		items = append(items, "sku:"+strconv.Itoa(g.r.IntN(50_000)), g.between(1, 5))
	}
	p.Del(ctx, key)
	p.HSet(ctx, key, items...)
	p.Expire(ctx, key, 7*24*time.Hour)
}

func writeSettings(p redis.Pipeliner, g *gen, i int) {
	ctx := context.Background()
	key := "user:" + strconv.Itoa(i) + ":settings"
	p.Del(ctx, key)
	p.HSet(ctx, key, "theme", g.pick([]string{"dark", "light"}), "lang", g.pick([]string{"en", "de", "ja", "pt"}),
		"tz", g.pick(cities), "newsletter", g.r.IntN(2), "beta", g.r.IntN(2))
}

func writeFeed(p redis.Pipeliner, g *gen, i int) {
	ctx := context.Background()
	key := "user:" + strconv.Itoa(i) + ":feed"
	items := make([]any, g.between(5, 30))
	for j := range items {
		items[j] = "post:" + strconv.Itoa(g.r.IntN(10_000_000))
	}
	p.Del(ctx, key)
	p.RPush(ctx, key, items...)
}

func writeTags(p redis.Pipeliner, g *gen, i int) {
	ctx := context.Background()
	key := "user:" + strconv.Itoa(i) + ":tags"
	tags := make([]any, g.between(3, 12))
	for j := range tags {
		tags[j] = g.pick(words)
	}
	p.Del(ctx, key)
	p.SAdd(ctx, key, tags...)
}

func writeScores(p redis.Pipeliner, g *gen, i int) {
	ctx := context.Background()
	key := "leaderboard:game:" + strconv.Itoa(i)
	members := make([]redis.Z, g.between(10, 50))
	for j := range members {
		members[j] = redis.Z{Score: float64(g.r.IntN(100_000)), Member: "player:" + strconv.Itoa(g.r.IntN(1_000_000))}
	}
	p.Del(ctx, key)
	p.ZAdd(ctx, key, members...)
}

func writeCounter(p redis.Pipeliner, g *gen, i int) {
	p.Set(context.Background(), "counter:views:"+strconv.Itoa(i), g.r.IntN(1_000_000), 0)
}

func writeOTP(p redis.Pipeliner, g *gen, i int) {
	ttl := time.Duration(g.between(120, 600)) * time.Second
	p.Set(context.Background(), "otp:"+strconv.Itoa(i), strconv.Itoa(g.between(100000, 999999)), ttl)
}
