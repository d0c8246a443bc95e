package probes

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// LogRedisTo sends go-redis's own log lines (failed dials, pool notes) to
// logf instead of stderr, where they would tear the full-screen console.
// It is process-wide; call it once at start.
func LogRedisTo(logf func(format string, args ...any)) {
	if logf != nil {
		redis.SetLogger(redisLogger(logf))
	}
}

type redisLogger func(format string, args ...any)

func (l redisLogger) Printf(_ context.Context, format string, v ...any) { l(format, v...) }
