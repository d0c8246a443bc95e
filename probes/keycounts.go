package probes

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// KeyCounts reads INFO keyspace: keys per db index.
func KeyCounts(ctx context.Context, c *redis.Client) (map[int]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	in, err := infoOf(ctx, c, "keyspace")
	if err != nil {
		return nil, err
	}
	out := map[int]int64{}
	for _, db := range in.Keyspace {
		out[db.Index] = db.Keys
	}
	return out, nil
}
