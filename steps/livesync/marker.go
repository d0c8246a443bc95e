package livesync

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// marker is the heartbeat that proves the change stream whole and
// measures the lag. Every second the sync runs, on the source,
//
//	MULTI; SET <key> "<run> <seq> <ms>"; PUBLISH <key> <seq>; EXEC
//
// The SET's keyspace notification and the PUBLISH reach the events
// connection in that order. So the PUBLISH of seq must follow the key's
// notification (else notifications are off) and seq-1 (else messages were
// lost). The key itself is copied like any other; reading it back on the
// target says which writes have arrived there.
type marker struct {
	key, run string
	held     atomic.Bool   // no writes while the source is paused
	nudge    chan struct{} // write the next marker now

	mu       sync.Mutex
	next     int64               // the sequence number of the next write
	sent     map[int64]time.Time // when each recent write was sent
	last     int64               // the last seq that came back on this subscription
	sawKey   bool                // the key's notification came since the last seq
	onTarget int64               // the newest seq read back on the target
	lag      time.Duration
	lagKnown bool
}

func newMarker(key, run string) *marker {
	return &marker{key: key, run: run, next: 1, sent: map[int64]time.Time{}, nudge: make(chan struct{}, 1)}
}

// reset forgets the sequence seen: a new subscription starts afresh.
func (m *marker) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last, m.sawKey = 0, false
}

// progress is the next sequence number to write and the last one that
// came back.
func (m *marker) progress() (next, last int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.next, m.last
}

func (m *marker) notified() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sawKey = true
}

// arrived checks a marker that came back; it returns what is wrong, or "".
func (m *marker) arrived(seq int64) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	saw := m.sawKey
	m.sawKey = false
	if seq <= m.last {
		return "" // a write retried after a timeout: it ran twice
	}
	prev := m.last
	m.last = seq
	switch {
	case !saw:
		return fmt.Sprintf("marker %d came back without the keyspace notification of its SET: notify-keyspace-events may have been changed on the source", seq)
	case prev > 0 && seq != prev+1:
		return fmt.Sprintf("the marker sequence jumped from %d to %d: pub/sub messages were lost", prev, seq)
	}
	return ""
}

// write sends the next marker. The number moves on only once a write is
// confirmed, so a failed write never leaves a gap.
func (m *marker) write(s *Sync) error {
	m.mu.Lock()
	seq := m.next
	m.mu.Unlock()
	now := time.Now()
	ctx, cancel := s.call()
	defer cancel()
	_, err := s.src.db(0).TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, m.key, fmt.Sprintf("%s %d %d", m.run, seq, now.UnixMilli()), 0)
		p.Publish(ctx, m.key, seq)
		return nil
	})
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent[seq] = now
	delete(m.sent, seq-600)
	m.next = seq + 1
	return nil
}

// readBack records the marker value found on the target and works out the
// lag: the age of the oldest marker write not there yet (0 when all are).
func (m *marker) readBack(value string, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := strings.Fields(value)
	if len(f) == 3 && f[0] == m.run {
		if seq, err := strconv.ParseInt(f[1], 10, 64); err == nil && seq > m.onTarget {
			m.onTarget = seq
		}
	}
	m.lag, m.lagKnown = 0, true
	if m.onTarget+1 >= m.next {
		return
	}
	at, ok := m.sent[m.onTarget+1]
	if !ok {
		// Older than the sends remembered: at least as old as the oldest.
		for _, t := range m.sent {
			if !ok || t.Before(at) {
				at, ok = t, true
			}
		}
	}
	if ok {
		m.lag = now.Sub(at)
	}
}

func (m *marker) lagNow() (time.Duration, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lag, m.lagKnown
}

// writeMarkers writes a marker every MarkerEvery until the sync stops.
func (s *Sync) writeMarkers() {
	t := time.NewTicker(s.o.MarkerEvery)
	defer t.Stop()
	failing := false
	for {
		if !s.mk.held.Load() {
			err := s.mk.write(s)
			if err != nil && !failing && s.ctx.Err() == nil {
				s.o.Log("live sync: cannot write the marker on the source: %v; retrying every %s", err, s.o.MarkerEvery)
			}
			failing = err != nil
		}
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		case <-s.mk.nudge:
		}
	}
}

// readLag reads the marker back on the target every MarkerEvery.
func (s *Sync) readLag() {
	t := time.NewTicker(s.o.MarkerEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := s.call()
		v, err := s.dst.db(0).Get(ctx, s.o.MarkerKey).Result()
		cancel()
		if err == nil || err == redis.Nil {
			s.mk.readBack(v, time.Now())
		}
	}
}
