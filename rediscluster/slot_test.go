package rediscluster

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/labtest"
)

// keySlot agrees with the server's CLUSTER KEYSLOT, hash tags included.
func TestKeySlotMatchesServer(t *testing.T) {
	t.Parallel()
	if got := crc16([]byte("123456789")); got != 0x31c3 {
		t.Fatalf("crc16 of the XMODEM check string is %#x, want 0x31c3", got)
	}
	cl := labtest.Cluster(t, 3, 0)
	c := redis.NewClient(&redis.Options{Addr: cl.Primaries[0].Addr(), Protocol: 2, DisableIdentity: true})
	defer c.Close()
	ctx := context.Background()
	keys := []string{"", "a", "user:1000:profile", "{user1000}.following", "{user1000}.followers",
		"foo{}{bar}", "foo{{bar}}zap", "foo{bar}{zap}", "{", "}{", "x{y", "\xff\x00binary{\x01}", "{}"}
	for i := range 500 {
		keys = append(keys, "k:"+string(rune('a'+i%26))+string(rune(i)))
	}
	for _, k := range keys {
		want, err := c.ClusterKeySlot(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := Of([]byte(k)); int64(got) != want {
			t.Fatalf("Of(%q) = %d, the server says %d", k, got, want)
		}
	}
}
