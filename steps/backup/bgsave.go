package backup

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// saved is what a BGSAVE left behind.
type saved struct {
	before, after time.Time // LASTSAVE
	took          time.Duration
}

// bgsave asks for a background save and waits until it has finished:
// LASTSAVE moved (or, for a save within the same second as the last one,
// the rdb_saves counter), no save in progress, and its status ok.
// SCHEDULE queues it behind a save or AOF rewrite already running instead
// of failing.
func bgsave(ctx context.Context, c *redis.Client, limit time.Duration, report func(runbook.Progress)) (saved, error) {
	first, err := persistence(ctx, c)
	if err != nil {
		return saved{}, err
	}
	before, err := c.LastSave(ctx).Result()
	if err != nil {
		return saved{}, fmt.Errorf("LASTSAVE: %s", probes.Explain(err))
	}
	start := time.Now()
	if err := c.Do(ctx, "BGSAVE", "SCHEDULE").Err(); err != nil {
		return saved{}, fmt.Errorf("BGSAVE SCHEDULE: %s", probes.Explain(err))
	}
	s := saved{before: time.Unix(before, 0)}
	for {
		in, err := persistence(ctx, c)
		if err != nil {
			return s, err
		}
		last, err := c.LastSave(ctx).Result()
		if err != nil {
			return s, fmt.Errorf("LASTSAVE: %s", probes.Explain(err))
		}
		moved := last > before || atoi(in.Raw["rdb_saves"]) > atoi(first.Raw["rdb_saves"])
		if moved && !in.RDBBgsaveInProgress {
			if in.RDBLastBgsaveStatus != "ok" {
				return s, fmt.Errorf("BGSAVE failed on the target (rdb_last_bgsave_status:%s); its log says why (disk full, dir not writable, fork refused)", in.RDBLastBgsaveStatus)
			}
			s.after, s.took = time.Unix(last, 0), time.Since(start)
			return s, nil
		}
		if time.Since(start) > limit {
			return s, fmt.Errorf("BGSAVE has not finished after %s (LASTSAVE still %s); check the target's log and INFO persistence", limit, s.before.UTC().Format(time.DateTime))
		}
		report(runbook.Progress{Done: int64(time.Since(start).Seconds()), Total: int64(limit.Seconds()), Unit: "s", Message: "waiting for BGSAVE to finish"})
		select {
		case <-ctx.Done():
			return s, fmt.Errorf("stopped waiting for BGSAVE: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func persistence(ctx context.Context, c *redis.Client) (probes.Info, error) {
	text, err := c.Info(ctx, "persistence").Result()
	if err != nil {
		return probes.Info{}, fmt.Errorf("INFO persistence: %s", probes.Explain(err))
	}
	return probes.ParseInfo(text), nil
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n
}
