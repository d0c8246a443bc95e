// Package keycopy copies keys between two servers with DUMP + PTTL and
// RESTORE ... ABSTTL REPLACE: the live sync's copier, and migrate.load's
// for a serverless source whose snapshot cannot be exported. It imports
// nothing of ours, so both can use it.
package keycopy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Copied is what one Copy wrote.
type Copied struct{ Restored, Deleted int64 }

// Copy copies keys of database db from src to dst: it reads them with DUMP
// and PTTL in one MULTI (so value and TTL are of the same moment) and
// writes them with RESTORE ... REPLACE, with the expiry as an absolute time
// (ABSTTL), or DEL for keys that are gone. On a cluster-enabled source
// (ElastiCache Serverless) the keys must share a hash slot, as a MULTI's
// must. The target refusing a write is a *Refusal naming the key.
func Copy(ctx context.Context, src, dst *redis.Client, db int, keys []string) (Copied, error) {
	dumps := make([]*redis.StringCmd, len(keys))
	ttls := make([]*redis.Cmd, len(keys))
	_, err := src.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			dumps[i] = p.Dump(ctx, k)
			ttls[i] = p.Do(ctx, "PTTL", k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return Copied{}, fmt.Errorf("DUMP on the source db%d: %w", db, err)
	}
	now := time.Now().UnixMilli()
	writes := make([]redis.Cmder, len(keys))
	var n Copied
	_, err = dst.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			payload, err := dumps[i].Result()
			if errors.Is(err, redis.Nil) {
				writes[i] = p.Del(ctx, k)
				n.Deleted++
				continue
			}
			switch ttl, _ := ttls[i].Int64(); {
			case ttl >= 0:
				writes[i] = p.Do(ctx, "RESTORE", k, now+ttl, payload, "REPLACE", "ABSTTL")
			default:
				writes[i] = p.Do(ctx, "RESTORE", k, 0, payload, "REPLACE")
			}
			n.Restored++
		}
		return nil
	})
	if err != nil {
		return Copied{}, TargetError(err, writes, keys, db)
	}
	return n, nil
}

// Refusal is an error reply of the target to a write: not transient,
// since every key would fail.
type Refusal struct{ Err error }

func (r *Refusal) Error() string { return r.Err.Error() }

// TargetError names the key whose write the target refused (a *Refusal),
// or passes on a failure of the connection.
func TargetError(err error, cmds []redis.Cmder, keys []string, db int) error {
	for i, c := range cmds {
		var re redis.Error
		if c != nil && errors.As(c.Err(), &re) {
			return &Refusal{fmt.Errorf("the target refused %s of %q in db%d: %v", c.Name(), keys[i], db, re)}
		}
	}
	return fmt.Errorf("writing to the target db%d: %w", db, err)
}
