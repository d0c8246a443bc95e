package livesync

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
)

// scanner runs a pass over every key whenever one is asked for: the first
// one, then one after each incident. A pass converges when no incident
// happened while it ran; until then the target may be inconsistent.
func (s *Sync) scanner() {
	for {
		var why string
		select {
		case <-s.ctx.Done():
			return
		case why = <-s.rescan:
		}
		s.mu.Lock()
		gen, first := s.gen, s.passes == 0
		if !first {
			s.phase = Rescanning
		}
		s.mu.Unlock()
		start := time.Now()
		before := s.copied.Load()
		if err := s.pass(!first || !s.o.Empty); err != nil {
			if s.ctx.Err() != nil {
				return
			}
			s.o.Log("live sync: %s failed: %v; trying again in a second", why, err)
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(time.Second):
			}
			s.askRescan(why)
			continue
		}
		if err := s.awaitMarker(); err != nil {
			if s.ctx.Err() != nil {
				return
			}
			s.incident(err.Error())
			continue
		}
		s.mu.Lock()
		s.passes++
		if first {
			s.copiedAt = time.Now()
		}
		converged := s.gen == gen
		if converged {
			s.dirty = false
		}
		s.phase = Streaming
		s.mu.Unlock()
		took := time.Since(start).Round(time.Millisecond)
		switch {
		case first && converged:
			s.o.Log("live sync: first pass done: %d keys copied in %s; streaming changes", s.copied.Load()-before, took)
		case converged:
			s.o.Log("live sync: catch-up rescan converged in %s (%d keys copied again): the target is consistent again", took, s.copied.Load()-before)
		default:
			s.o.Log("live sync: pass done in %s, but events may have been lost while it ran: rescanning again", took)
		}
	}
}

// pass hands every source key to the workers and, with prune, every
// target key too (to delete those the source lacks), then waits for them.
func (s *Sync) pass(prune bool) error {
	dbs, err := s.databases(prune)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, db := range dbs {
		if err = s.scanDB(s.src.db(db), "source", db, false, &wg); err != nil {
			break
		}
		if prune {
			if err = s.scanDB(s.dst.db(db), "target", db, true, &wg); err != nil {
				break
			}
		}
	}
	// Batches already handed out are finished by the workers unless the
	// sync stops.
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
		return err
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

// databases lists the dbs holding keys on the source (and the target).
func (s *Sync) databases(target bool) ([]int, error) {
	set := map[int]bool{}
	sides := []*side{s.src}
	if target {
		sides = append(sides, s.dst)
	}
	for i, sd := range sides {
		counts, err := probes.KeyCounts(s.ctx, sd.db(0))
		if err != nil {
			return nil, fmt.Errorf("INFO keyspace on the %s: %w", []string{"source", "target"}[i], err)
		}
		for db, n := range counts {
			if n > 0 {
				set[db] = true
			}
		}
	}
	dbs := make([]int, 0, len(set))
	for db := range set {
		dbs = append(dbs, db)
	}
	sort.Ints(dbs)
	return dbs, nil
}

// scanDB SCANs one database and queues its keys in batches; the channel's
// capacity bounds how many keys wait in memory.
func (s *Sync) scanDB(c *redis.Client, role string, db int, prune bool, wg *sync.WaitGroup) error {
	var cursor uint64
	for {
		ctx, cancel := s.call()
		keys, next, err := c.Scan(ctx, cursor, "", int64(4*s.o.Batch)).Result()
		cancel()
		if err != nil {
			return fmt.Errorf("SCAN db%d on the %s: %w", db, role, err)
		}
		if !prune {
			s.scanned.Add(int64(len(keys)))
		}
		for len(keys) > 0 {
			n := min(len(keys), s.o.Batch)
			wg.Add(1)
			s.scanning.Add(1)
			select {
			case s.scanCh <- &batch{db: db, keys: keys[:n], prune: prune, wg: wg}:
			case <-s.ctx.Done():
				s.scanning.Add(-1)
				wg.Done()
				return s.ctx.Err()
			}
			keys = keys[n:]
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// waitUntil polls cond every 10ms until it holds, the context ends or the
// sync stops.
func (s *Sync) waitUntil(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return s.stoppedErr()
		case <-t.C:
		}
	}
	return nil
}
