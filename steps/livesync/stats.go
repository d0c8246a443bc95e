package livesync

import (
	"context"
	"fmt"
	"time"
)

// Stats is what the sync has done so far.
type Stats struct {
	Phase        Phase         `json:"phase"`
	Scanned      int64         `json:"scanned"`   // keys seen by passes
	Copied       int64         `json:"copied"`    // RESTOREs
	Deleted      int64         `json:"deleted"`   // DELs on the target
	Events       int64         `json:"events"`    // keyspace notifications
	Coalesced    int64         `json:"coalesced"` // notifications merged into a pending copy
	EventsPerSec float64       `json:"events_per_sec"`
	Queue        int           `json:"queue"` // keys waiting or being copied
	Lag          time.Duration `json:"lag"`   // age of the oldest marker write not yet on the target
	LagKnown     bool          `json:"lag_known"`
	Dropped      int64         `json:"dropped"` // incidents: times events may have been lost
	Consistent   bool          `json:"consistent"`
	Passes       int           `json:"passes"`
	LastIncident *Incident     `json:"last_incident,omitempty"`
	CopiedAt     time.Time     `json:"copied_at"` // when the first pass ended
	Err          string        `json:"error,omitempty"`
}

// Stats returns a snapshot.
func (s *Sync) Stats() Stats {
	notified, coalesced := s.t.counts()
	lag, known := s.mk.lagNow()
	st := Stats{Scanned: s.scanned.Load(), Copied: s.copied.Load(), Deleted: s.deleted.Load(),
		Events: notified, Coalesced: coalesced, Queue: s.t.depth(), Lag: lag, LagKnown: known}
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Phase, st.Passes, st.CopiedAt, st.EventsPerSec = s.phase, s.passes, s.copiedAt, s.rate
	st.Dropped = s.gen
	st.Consistent = s.passes > 0 && !s.dirty
	if n := len(s.incidents); n > 0 {
		last := s.incidents[n-1]
		st.LastIncident = &last
	}
	if s.err != nil {
		st.Err = s.err.Error()
	}
	return st
}

// String is the one-line progress shown on screen.
func (st Stats) String() string {
	lag := "lag -"
	if st.LagKnown {
		lag = fmt.Sprintf("lag %.1fs", st.Lag.Seconds())
	}
	state := "consistent"
	if !st.Consistent {
		state = "not yet consistent"
	}
	return fmt.Sprintf("%s: %d keys copied, %d deleted, %.0f events/s, queue %d, %s, dropped %d, %s",
		st.Phase, st.Copied, st.Deleted, st.EventsPerSec, st.Queue, lag, st.Dropped, state)
}

// tick prunes the tracker and works out the event rate once a second.
func (s *Sync) tick() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	prev, at := int64(0), time.Now()
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-t.C:
			s.t.prune()
			n, _ := s.t.counts()
			s.mu.Lock()
			s.rate = float64(n-prev) / now.Sub(at).Seconds()
			s.mu.Unlock()
			prev, at = n, now
		}
	}
}

// CaughtUp waits until the first pass is done, no events are known lost
// since, and the lag is under maxLag.
func (s *Sync) CaughtUp(ctx context.Context, maxLag time.Duration) error {
	return s.waitUntil(ctx, func() bool {
		st := s.Stats()
		return st.Consistent && st.Phase == Streaming && st.LagKnown && st.Lag < maxLag
	})
}

// Drain returns once every change the source made before the call is on
// the target: the events connection is fenced with a PING, every queued
// key has been copied (without waiting out the per-key interval), and no
// pass is running or owed. Meant for a paused source; under writes it
// returns when the queue happens to be empty.
func (s *Sync) Drain(ctx context.Context) error {
	s.t.flush(true)
	defer s.t.flush(false)
	select {
	case s.wake <- struct{}{}:
	default:
	}
	if err := s.fence(); err != nil {
		return err
	}
	return s.waitUntil(ctx, func() bool {
		st := s.Stats()
		return st.Queue == 0 && st.Consistent && st.Phase == Streaming && len(s.rescan) == 0 && s.scanning.Load() == 0
	})
}

// HoldMarker stops (true) or resumes marker writes: a source paused with
// CLIENT PAUSE WRITE would block them.
func (s *Sync) HoldMarker(on bool) { s.mk.held.Store(on) }

// RecentKeys returns the keys notified within window (at most a minute),
// by database; more reports that more keys changed than were remembered.
func (s *Sync) RecentKeys(window time.Duration) (keys map[int][]string, more bool) {
	return s.t.recentKeys(window)
}
