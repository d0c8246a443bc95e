package seed

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/cutover/cutover/lab/labtest"
)

func newClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, Protocol: 2, DisableIdentity: true, PoolSize: workers,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}

func TestPlanAddsUp(t *testing.T) {
	for _, n := range []int{0, 1, 7, 99, 100, 101, 12345, 200_000} {
		sum := 0
		for _, k := range plan(n) {
			if k.count < 0 {
				t.Fatalf("n=%d: negative count for %s", n, k.name)
			}
			sum += k.count
		}
		if n >= minForBig {
			sum += len(bigKeys)
		}
		if sum != n {
			t.Errorf("n=%d: plan adds up to %d", n, sum)
		}
	}
}

func TestSeedWritesExactlyN(t *testing.T) {
	t.Parallel()
	r := labtest.Redis(t)
	c := newClient(r.Addr())
	defer c.Close()
	ctx := context.Background()
	for _, n := range []int{0, 7, 5000} {
		if err := c.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		last := 0
		if err := Seed(ctx, c, n, func(done int) {
			if done <= last {
				t.Errorf("progress went from %d to %d", last, done)
			}
			last = done
		}); err != nil {
			t.Fatal(err)
		}
		if got := c.DBSize(ctx).Val(); got != int64(n) {
			t.Errorf("n=%d: DBSIZE %d", n, got)
		}
		if last != n {
			t.Errorf("n=%d: last progress %d", n, last)
		}
	}
	// Again over the same data: collections are replaced, not grown.
	before := c.LLen(ctx, BigListKey).Val()
	if err := Seed(ctx, c, 5000, nil); err != nil {
		t.Fatal(err)
	}
	if got := c.DBSize(ctx).Val(); got != 5000 {
		t.Errorf("reseed: DBSIZE %d", got)
	}
	if got := c.LLen(ctx, BigListKey).Val(); got != before {
		t.Errorf("reseed: big list grew from %d to %d", before, got)
	}
}

func TestSeedMix(t *testing.T) {
	t.Parallel()
	r := labtest.Redis(t)
	c := newClient(r.Addr())
	defer c.Close()
	ctx := context.Background()
	const n = 20_000
	if err := Seed(ctx, c, n, nil); err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	iter := c.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		types[c.Type(ctx, iter.Val()).Val()]++
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"string", "hash", "list", "set", "zset", "stream"} {
		if types[typ] == 0 {
			t.Errorf("no %s keys: %v", typ, types)
		}
	}
	if c.Exists(ctx, ProfileKey(0), ProfileKey(ProfileCount(n)-1)).Val() != 2 {
		t.Errorf("profile keys 0 and %d missing", ProfileCount(n)-1)
	}
	for _, k := range []string{"otp:0", "session:*", "cart:1"} {
		key := k
		if keys := c.Keys(ctx, k).Val(); len(keys) > 0 {
			key = keys[0]
		}
		ttl := c.TTL(ctx, key).Val()
		if ttl <= 0 {
			t.Errorf("%s has no TTL", key)
		}
		if k == "otp:0" && ttl > 10*time.Minute || k != "otp:0" && ttl < time.Hour {
			t.Errorf("%s TTL %s out of range", key, ttl)
		}
	}
	elements, size := bigSize(n)
	if got := c.StrLen(ctx, BigStringKey).Val(); got != int64(size) {
		t.Errorf("big string %d bytes, want %d", got, size)
	}
	if got := c.ZCard(ctx, BigZSetKey).Val(); got != int64(elements) {
		t.Errorf("big zset %d members, want %d", got, elements)
	}
	if got := c.HLen(ctx, BigHashKey).Val(); got != int64(elements) {
		t.Errorf("big hash %d fields, want %d", got, elements)
	}
	groups, err := c.XInfoGroups(ctx, StreamKey).Result()
	if err != nil || len(groups) != 2 || groups[0].Name != "analytics" && groups[1].Name != "analytics" {
		t.Fatalf("stream groups: %+v %v", groups, err)
	}
	if p := c.XPending(ctx, StreamKey, "billing").Val(); p == nil || p.Count != 100 {
		t.Errorf("billing pending: %+v", p)
	}
}

// TestSeedDefaultLabSize measures the lab's default size.
func TestSeedDefaultLabSize(t *testing.T) {
	t.Parallel()
	r := labtest.Redis(t)
	c := newClient(r.Addr())
	defer c.Close()
	start := time.Now()
	if err := Seed(context.Background(), c, 200_000, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded 200000 keys in %s", time.Since(start).Round(time.Millisecond))
	if got := c.DBSize(context.Background()).Val(); got != 200_000 {
		t.Errorf("DBSIZE %d", got)
	}
}
