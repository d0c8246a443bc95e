package probes

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// configValue is one setting as CONFIG GET reports it.
func configValue(ctx context.Context, c *redis.Client, name string) (string, error) {
	m, err := c.ConfigGet(ctx, name).Result()
	if err != nil {
		return "", err
	}
	v, ok := m[name]
	if !ok {
		return "", fmt.Errorf("CONFIG GET %s: no such setting", name)
	}
	return v, nil
}

func configInt(ctx context.Context, c *redis.Client, name string) (int64, error) {
	v, err := configValue(ctx, c, name)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}
