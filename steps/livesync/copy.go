package livesync

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/steps/livesync/keycopy"
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
	var refused *keycopy.Refusal
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

// copy copies a batch with the keycopy copier and counts what it wrote.
func (s *Sync) copy(db int, keys []string) error {
	ctx, cancel := s.call()
	defer cancel()
	n, err := keycopy.Copy(ctx, s.src.db(db), s.dst.db(db), db, keys)
	s.copied.Add(n.Restored)
	s.deleted.Add(n.Deleted)
	return err
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
		return keycopy.TargetError(err, []redis.Cmder{del}, gone, db)
	}
	s.deleted.Add(int64(len(gone)))
	return nil
}
