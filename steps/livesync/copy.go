package livesync

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// batch is keys of one database found by a pass, for a worker.
type batch struct {
	db    int
	keys  []string
	prune bool // target keys: delete those the source lacks
	wg    *sync.WaitGroup
}

// work copies keys until the sync stops: notified keys and pass batches
// in turn, so neither starves the other.
func (s *Sync) work() {
	idle := time.NewTimer(time.Hour)
	defer idle.Stop()
	for {
		db, keys, wait := s.t.take(s.o.Batch)
		if len(keys) > 0 {
			s.apply(db, keys, false)
		}
		select {
		case b := <-s.scanCh:
			s.applyBatch(b)
			continue
		default:
		}
		if len(keys) > 0 {
			continue
		}
		if wait <= 0 || wait > 100*time.Millisecond {
			wait = 100 * time.Millisecond
		}
		idle.Reset(wait)
		select {
		case <-s.ctx.Done():
			return
		case b := <-s.scanCh:
			s.applyBatch(b)
		case <-s.wake:
		case <-idle.C:
		}
	}
}

func (s *Sync) applyBatch(b *batch) {
	defer b.wg.Done()
	defer s.scanning.Add(-1)
	s.apply(b.db, s.t.claim(b.db, b.keys), b.prune)
}

// apply copies (or, for prune, checks) keys that are in flight, then
// releases them. A failure of the servers puts the keys back in the queue;
// a refusal by the target stops the sync, since every key would fail.
func (s *Sync) apply(db int, keys []string, prune bool) {
	if len(keys) == 0 {
		return
	}
	var err error
	if prune {
		err = s.prune(db, keys)
	} else {
		err = s.copy(db, keys)
	}
	s.t.done(db, keys)
	if err == nil || s.ctx.Err() != nil {
		return
	}
	var refused *refusal
	if errors.As(err, &refused) {
		s.fail(err)
		return
	}
	s.o.Log("live sync: %d keys of db%d not copied: %v; retrying", len(keys), db, err)
	s.t.requeue(db, keys)
	select {
	case <-s.ctx.Done():
	case <-time.After(time.Second):
	}
}

// refusal is an error reply of the target to a write: not transient.
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }

// copy reads keys with DUMP and PTTL in one MULTI (so value and TTL are
// of the same moment) and writes them with RESTORE ... REPLACE, with the
// expiry as an absolute time (ABSTTL), or DEL for keys that are gone.
func (s *Sync) copy(db int, keys []string) error {
	ctx, cancel := s.call()
	defer cancel()
	dumps := make([]*redis.StringCmd, len(keys))
	ttls := make([]*redis.Cmd, len(keys))
	_, err := s.src.db(db).TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			dumps[i] = p.Dump(ctx, k)
			ttls[i] = p.Do(ctx, "PTTL", k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("DUMP on the source db%d: %w", db, err)
	}
	now := time.Now().UnixMilli()
	writes := make([]redis.Cmder, len(keys))
	restores, dels := 0, 0
	_, err = s.dst.db(db).Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			payload, err := dumps[i].Result()
			if errors.Is(err, redis.Nil) {
				writes[i] = p.Del(ctx, k)
				dels++
				continue
			}
			switch ttl, _ := ttls[i].Int64(); {
			case ttl >= 0:
				writes[i] = p.Do(ctx, "RESTORE", k, now+ttl, payload, "REPLACE", "ABSTTL")
			default:
				writes[i] = p.Do(ctx, "RESTORE", k, 0, payload, "REPLACE")
			}
			restores++
		}
		return nil
	})
	if err != nil {
		return targetError(err, writes, keys, db)
	}
	s.copied.Add(int64(restores))
	s.deleted.Add(int64(dels))
	return nil
}

// prune deletes on the target the keys the source no longer holds (their
// deletion may have been among lost events).
func (s *Sync) prune(db int, keys []string) error {
	ctx, cancel := s.call()
	defer cancel()
	exists := make([]*redis.IntCmd, len(keys))
	_, err := s.src.db(db).Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			exists[i] = p.Exists(ctx, k)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("EXISTS on the source db%d: %w", db, err)
	}
	var gone []string
	for i, e := range exists {
		if e.Val() == 0 {
			gone = append(gone, keys[i])
		}
	}
	if len(gone) == 0 {
		return nil
	}
	del := s.dst.db(db).Del(ctx, gone...)
	if err := del.Err(); err != nil {
		return targetError(err, []redis.Cmder{del}, gone, db)
	}
	s.deleted.Add(int64(len(gone)))
	return nil
}

// targetError names the key whose write the target refused, or passes on
// a failure of the connection.
func targetError(err error, cmds []redis.Cmder, keys []string, db int) error {
	for i, c := range cmds {
		var re redis.Error
		if c != nil && errors.As(c.Err(), &re) {
			return &refusal{fmt.Errorf("the target refused %s of %q in db%d: %v", c.Name(), keys[i], db, re)}
		}
	}
	return fmt.Errorf("writing to the target db%d: %w", db, err)
}
