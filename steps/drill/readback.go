package drill

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

const batch = 1000

// readBack counts acknowledged writes whose key is missing from the new
// primary, then deletes every canary key.
func readBack(ctx context.Context, c *redis.Client, cn *canary, ws []write) (lost, acked int, err error) {
	var keys []string
	for _, w := range ws {
		if w.acked {
			keys = append(keys, cn.key(w.seq))
		}
	}
	acked = len(keys)
	for i := 0; i < len(keys); i += batch {
		part := keys[i:min(i+batch, len(keys))]
		vals, err := c.MGet(ctx, part...).Result()
		if err != nil {
			return 0, acked, fmt.Errorf("reading the canary keys back: %w", err)
		}
		for _, v := range vals {
			if v == nil {
				lost++
			}
		}
	}
	return lost, acked, nil
}

// cleanup deletes every key the canary may have written.
func cleanup(ctx context.Context, c *redis.Client, cn *canary, ws []write) error {
	for i := 0; i < len(ws); i += batch {
		var keys []string
		for _, w := range ws[i:min(i+batch, len(ws))] {
			keys = append(keys, cn.key(w.seq))
		}
		if err := c.Del(ctx, keys...).Err(); err != nil {
			return err
		}
	}
	return nil
}
