package livesync

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
)

// Phase is where a sync is in its life.
type Phase string

const (
	Copying    Phase = "copying"    // the first pass over every key
	Streaming  Phase = "streaming"  // applying changes as they are notified
	Rescanning Phase = "rescanning" // a catch-up pass after events may have been lost
	Stopped    Phase = "stopped"
)

// Sync is one running live sync. Its goroutines are stopped by Stop, or
// by the context given to Start.
type Sync struct {
	o      Options
	t      *tracker
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	done   chan struct{}

	src, dst *side
	events   *redis.Client
	mk       *marker
	run      string // this sync's ID, in the marker's value

	wake   chan struct{} // a key was queued
	rescan chan string   // a pass is wanted, with why
	scanCh chan *batch

	mu        sync.Mutex
	phase     Phase
	err       error
	gen       int64 // incidents so far; a pass converges when none happened during it
	dirty     bool  // events may have been lost since the last converged pass
	incidents []Incident
	passes    int
	copiedAt  time.Time // when the first pass ended
	rate      float64   // events per second over the last second
	ps        *redis.PubSub
	fences    map[string]chan struct{}
	fenceSeq  int

	scanned, copied, deleted atomic.Int64
	scanning                 atomic.Int32 // batches of a pass not yet done
}

// Incident is a moment when events may have been lost.
type Incident struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// Start subscribes to keyspace events on the source, waits for the marker
// to prove notifications arrive, then starts the first pass and the change
// stream. It returns once the subscription is live; the copy goes on in
// the background.
func Start(ctx context.Context, o Options) (*Sync, error) {
	if o.Source == nil || o.Target == nil {
		return nil, errors.New("livesync: Source and Target dialers are required")
	}
	o = o.Defaults()
	s := &Sync{o: o, t: newTracker(o.Interval, o.MaxQueue, time.Now), done: make(chan struct{}),
		wake: make(chan struct{}, 1), rescan: make(chan string, 1), scanCh: make(chan *batch, o.Workers),
		phase: Copying, fences: map[string]chan struct{}{}, run: fmt.Sprintf("%x", time.Now().UnixNano())}
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.src = newSide(o.Source, o.Workers+2)
	s.dst = newSide(o.Target, o.Workers+2)
	s.events = o.Source("livesync-events", 0, 1)
	s.mk = newMarker(o.MarkerKey, s.run)
	ok := false
	defer func() {
		if !ok {
			s.cancel()
			s.wg.Wait()
			s.closeClients()
		}
	}()
	if err := s.checkSetting(); err != nil {
		return nil, err
	}
	ps, err := s.subscribe()
	if err != nil {
		return nil, err
	}
	s.go1(func() { s.listen(ps) })
	s.go1(s.writeMarkers)
	if err := s.awaitMarker(); err != nil {
		if e := s.Err(); e != nil {
			err = e
		}
		return nil, fmt.Errorf("%w, then start again", err)
	}
	s.go1(s.readLag)
	s.go1(s.tick)
	for range o.Workers {
		s.go1(s.work)
	}
	s.go1(s.scanner)
	s.rescan <- "first pass"
	ok = true
	go func() {
		s.wg.Wait()
		s.closeClients()
		close(s.done)
	}()
	return s, nil
}

func (s *Sync) go1(f func()) { s.wg.Go(f) }

func (s *Sync) closeClients() {
	s.src.close()
	s.dst.close()
	s.events.Close()
}

// call bounds one round trip.
func (s *Sync) call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, s.o.Timeout)
}

// checkSetting reads notify-keyspace-events where CONFIG is allowed; a
// source that refuses CONFIG (ElastiCache) is tested by the marker alone.
func (s *Sync) checkSetting() error {
	ctx, cancel := s.call()
	defer cancel()
	v, err := s.src.db(0).ConfigGet(ctx, "notify-keyspace-events").Result()
	if err != nil {
		s.o.Log("live sync: CONFIG GET notify-keyspace-events on the source: %v; the marker will tell whether notifications arrive", err)
		return nil
	}
	if m := probes.MissingKeyspaceClasses(v["notify-keyspace-events"]); m != "" {
		return fmt.Errorf("the source's notify-keyspace-events is %q and lacks %q: set it to KEA (CONFIG SET notify-keyspace-events KEA, or the parameter group on ElastiCache) and start again", v["notify-keyspace-events"], m)
	}
	return nil
}

// awaitMarker waits until a marker written from now on has come back
// through pub/sub: it proves keyspace notifications arrive (and, after a
// pass, that they still did once it ended).
func (s *Sync) awaitMarker() error {
	if s.mk.held.Load() {
		return nil // a paused source: nothing to prove it with
	}
	from, _ := s.mk.progress()
	select {
	case s.mk.nudge <- struct{}{}: // no need to wait for the next tick
	default:
	}
	limit := 3*s.o.MarkerEvery + s.o.Timeout
	ctx, cancel := context.WithTimeout(s.ctx, limit)
	defer cancel()
	err := s.waitUntil(ctx, func() bool { _, last := s.mk.progress(); return last >= from })
	if err != nil && s.ctx.Err() == nil {
		return fmt.Errorf("no keyspace notification for the marker key %s came back within %s: set notify-keyspace-events to KEA on the source (the parameter group on ElastiCache)", s.o.MarkerKey, limit)
	}
	return err
}

// fail stops the sync with err (the first one wins).
func (s *Sync) fail(err error) {
	s.mu.Lock()
	if s.err == nil && s.ctx.Err() == nil {
		s.err = err
		s.o.Log("live sync stopped: %v", err)
	}
	s.mu.Unlock()
	s.cancel()
}

// incident records that events may have been lost and asks for a rescan.
func (s *Sync) incident(reason string) {
	s.record(reason)
	s.o.Log("live sync: events may have been lost (%s): the target may be inconsistent; a catch-up rescan starts", reason)
	s.askRescan(reason)
}

// record marks the target possibly inconsistent from now until a pass
// that starts later converges.
func (s *Sync) record(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.dirty = true
	s.incidents = append(s.incidents, Incident{At: time.Now(), Reason: reason})
	if len(s.incidents) > 100 {
		s.incidents = s.incidents[1:]
	}
}

func (s *Sync) askRescan(why string) {
	select {
	case s.rescan <- why:
	default: // one is already waiting
	}
}

// Stop ends the sync and waits for its goroutines, then removes the marker
// from both sides. It returns the error that stopped it earlier, if any.
func (s *Sync) Stop() error {
	s.cancel()
	<-s.done
	s.mu.Lock()
	s.phase = Stopped
	s.mu.Unlock()
	s.removeMarker()
	return s.Err()
}

// Done is closed when the sync has stopped.
func (s *Sync) Done() <-chan struct{} { return s.done }

// Err is the error that stopped the sync, if any.
func (s *Sync) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// removeMarker deletes the marker key on both sides, so the application
// never sees it once the sync is over.
func (s *Sync) removeMarker() {
	for _, d := range []Dialer{s.o.Source, s.o.Target} {
		c := d("livesync-cleanup", 0, 1)
		ctx, cancel := context.WithTimeout(context.Background(), s.o.Timeout)
		if err := c.Del(ctx, s.o.MarkerKey).Err(); err != nil {
			s.o.Log("live sync: could not delete the marker key %s: %v; delete it by hand", s.o.MarkerKey, err)
		}
		cancel()
		c.Close()
	}
}

// errStopped is returned by waits when the sync stops under them.
var errStopped = errors.New("the live sync stopped")

func (s *Sync) stoppedErr() error {
	if err := s.Err(); err != nil {
		return fmt.Errorf("%w: %v", errStopped, err)
	}
	return errStopped
}
