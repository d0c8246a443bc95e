package parity

import (
	"context"
	"errors"
	"sort"

	"github.com/redis/go-redis/v9"
)

// shares splits n samples over dbs in proportion to their keys, at least
// one for each db that has keys.
func shares(keys map[int]int64, n int) map[int]int {
	var total int64
	for _, k := range keys {
		total += k
	}
	out := map[int]int{}
	if total == 0 || n <= 0 {
		return out
	}
	for db, k := range keys {
		if k == 0 {
			continue
		}
		s := int(int64(n) * k / total)
		out[db] = int(min(int64(max(s, 1)), k))
	}
	return out
}

// sample picks up to n distinct random keys of the db c has selected
// with RANDOMKEY (which does not touch the keys it names); when n covers
// the whole db it takes every key with SCAN.
func sample(ctx context.Context, c redis.Cmdable, n int, dbKeys int64) ([]string, error) {
	seen := map[string]bool{}
	if int64(n) >= dbKeys {
		iter := c.Scan(ctx, 0, "", 1000).Iterator()
		for iter.Next(ctx) {
			seen[iter.Val()] = true
		}
		if err := iter.Err(); err != nil {
			return nil, err
		}
	}
	for draws := 0; len(seen) < n && draws < 3*n; {
		cmds := make([]*redis.StringCmd, min(1000, 2*(n-len(seen))))
		draws += len(cmds)
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := range cmds {
				cmds[i] = p.RandomKey(ctx)
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
		for _, cmd := range cmds {
			if k, err := cmd.Result(); err == nil && len(seen) < n {
				seen[k] = true
			}
		}
		if int64(len(seen)) >= dbKeys {
			break
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}
