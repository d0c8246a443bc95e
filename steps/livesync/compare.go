package livesync

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/steps/parity"
)

// Compared is the outcome of comparing keys on both sides.
type Compared struct {
	Keys    int      // keys compared
	Same    int      // equal on both sides (or absent on both)
	Differs []string // "db0 \"k\": why", at most maxDiffs
	Diffs   int
}

const maxDiffs = 20

func (c *Compared) differ(line string) {
	c.Diffs++
	if len(c.Differs) < maxDiffs {
		c.Differs = append(c.Differs, line)
	}
}

// Compare compares keys of database db (src and dst are clients of that
// database): a key the source holds must be on the target with the same
// type, value and TTL (within tol); a key the source lacks must be absent
// from the target.
func Compare(ctx context.Context, src, dst *redis.Client, db int, keys []string, tol time.Duration, out *Compared) error {
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := compareSome(ctx, src, dst, db, keys[:n], tol, out); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

func compareSome(ctx context.Context, src, dst *redis.Client, db int, keys []string, tol time.Duration, out *Compared) error {
	ex := func(c *redis.Client) ([]*redis.IntCmd, error) {
		cmds := make([]*redis.IntCmd, len(keys))
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				cmds[i] = p.Exists(ctx, k)
			}
			return nil
		})
		return cmds, err
	}
	se, err := ex(src)
	if err != nil {
		return fmt.Errorf("EXISTS on the source db%d: %w", db, err)
	}
	te, err := ex(dst)
	if err != nil {
		return fmt.Errorf("EXISTS on the target db%d: %w", db, err)
	}
	var present, orphans []string
	for i, k := range keys {
		switch {
		case se[i].Val() == 1:
			present = append(present, k)
		case te[i].Val() == 1:
			orphans = append(orphans, k)
		default:
			out.Keys++
			out.Same++
		}
	}
	if err := compareOrphans(ctx, dst, db, orphans, tol, out); err != nil {
		return err
	}
	var d parity.Deep
	if err := parity.CompareKeys(ctx, src, dst, db, present, tol, &d); err != nil {
		return err
	}
	out.Keys += d.Sampled
	out.Same += d.Same
	for _, f := range d.Findings {
		out.differ(f.String())
	}
	return nil
}

// compareOrphans judges keys the target holds and the source does not. One
// the source just expired is still on the target for up to the TTL
// tolerance (its absolute expiry was taken from a PTTL read a round trip
// late): it is the same key, not a difference.
func compareOrphans(ctx context.Context, dst *redis.Client, db int, keys []string, tol time.Duration, out *Compared) error {
	if len(keys) == 0 {
		return nil
	}
	cmds := make([]*redis.DurationCmd, len(keys))
	if _, err := dst.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.PTTL(ctx, k)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("PTTL on the target db%d: %w", db, err)
	}
	for i, k := range keys {
		out.Keys++
		// go-redis gives -2 (gone now) and -1 (no TTL) as those durations.
		ttl := cmds[i].Val()
		if ttl == -2 || (ttl >= 0 && ttl <= tol) {
			out.Same++
			continue
		}
		out.differ(fmt.Sprintf("db%d %q: on the target, gone from the source", db, k))
	}
	return nil
}
