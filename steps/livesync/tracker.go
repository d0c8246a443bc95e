package livesync

import (
	"container/heap"
	"sync"
	"time"
)

// dbKey names one key of one database.
type dbKey struct {
	db  int
	key string
}

// tracker is the set of keys waiting to be copied, with the rules that keep
// the copy correct and cheap:
//   - a key is copied by one worker at a time: an event for a key in flight
//     marks it dirty and it is copied again when the worker is done, so an
//     older DUMP can never land after a newer one;
//   - a key is copied at most once per interval: events for a waiting key
//     merge into its one pending copy (a key written 1000 times a second is
//     copied 1/interval times a second);
//   - it holds at most max pending keys: beyond that it refuses, and the
//     caller falls back to a rescan instead of growing without bound.
//
// It also remembers the keys notified in the last window, for the final
// compare of the cutover.
type tracker struct {
	mu       sync.Mutex
	interval time.Duration
	max      int
	now      func() time.Time

	pending  keyHeap
	queued   map[dbKey]*item
	inFlight map[dbKey]bool // value: dirty (notified again while copying)
	lastCopy map[dbKey]time.Time
	flushing bool // due times are ignored (drain)

	recentWindow time.Duration
	recentMax    int
	recent       map[dbKey]time.Time
	recentLost   bool // more keys changed in the window than recentMax

	notified, coalesced int64
}

func newTracker(interval time.Duration, max int, now func() time.Time) *tracker {
	return &tracker{interval: interval, max: max, now: now,
		queued: map[dbKey]*item{}, inFlight: map[dbKey]bool{}, lastCopy: map[dbKey]time.Time{},
		recentWindow: time.Minute, recentMax: 100_000, recent: map[dbKey]time.Time{}}
}

// notify records an event for k. It returns false when the queue is full:
// the event is lost and the caller must rescan.
func (t *tracker) notify(k dbKey) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.notified++
	if _, ok := t.recent[k]; ok || len(t.recent) < t.recentMax {
		t.recent[k] = now
	} else {
		t.recentLost = true
	}
	if _, ok := t.inFlight[k]; ok {
		t.inFlight[k] = true
		t.coalesced++
		return true
	}
	if _, ok := t.queued[k]; ok {
		t.coalesced++
		return true
	}
	if len(t.queued) >= t.max {
		return false
	}
	t.push(k, now)
	return true
}

// requeue queues keys whose copy failed, whatever the queue holds: they
// were accepted before.
func (t *tracker) requeue(db int, keys []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, key := range keys {
		k := dbKey{db, key}
		if _, ok := t.queued[k]; !ok {
			t.push(k, now)
		}
	}
}

// push queues k, due one interval after its last copy.
func (t *tracker) push(k dbKey, now time.Time) {
	due := now
	if last, ok := t.lastCopy[k]; ok && last.Add(t.interval).After(now) {
		due = last.Add(t.interval)
	}
	it := &item{k: k, due: due}
	t.queued[k] = it
	heap.Push(&t.pending, it)
}

// take hands out up to n due keys of one database and marks them in
// flight. wait is how long until the next key is due when none is now.
func (t *tracker) take(n int) (db int, keys []string, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	db = -1
	var skipped []*item
	for t.pending.Len() > 0 && len(keys) < n {
		it := t.pending[0]
		if !t.flushing && it.due.After(now) {
			if len(keys) == 0 {
				wait = it.due.Sub(now)
			}
			break
		}
		heap.Pop(&t.pending)
		if db >= 0 && it.k.db != db {
			// A batch is one database; look a little further for more.
			skipped = append(skipped, it)
			if len(skipped) > n {
				break
			}
			continue
		}
		db = it.k.db
		delete(t.queued, it.k)
		t.inFlight[it.k] = false
		keys = append(keys, it.k.key)
	}
	for _, it := range skipped {
		heap.Push(&t.pending, it)
	}
	if db < 0 {
		db = 0
	}
	return db, keys, wait
}

// claim marks the keys the scan is about to copy in flight and returns
// those it may copy: a key already queued or in flight is left to that
// copy, which reads the source after the scan saw it.
func (t *tracker) claim(db int, keys []string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := keys[:0:0]
	for _, key := range keys {
		k := dbKey{db, key}
		if _, ok := t.inFlight[k]; ok {
			continue
		}
		if _, ok := t.queued[k]; ok {
			continue
		}
		t.inFlight[k] = false
		out = append(out, key)
	}
	return out
}

// done ends the copy of keys: a key notified meanwhile is queued again.
func (t *tracker) done(db int, keys []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, key := range keys {
		k := dbKey{db, key}
		dirty := t.inFlight[k]
		delete(t.inFlight, k)
		t.lastCopy[k] = now
		if dirty {
			t.push(k, now)
		}
	}
}

// prune forgets copy times older than the interval and recent keys older
// than the window, so memory follows the hot set, not the key space.
func (t *tracker) prune() {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for k, at := range t.lastCopy {
		if now.Sub(at) >= t.interval {
			delete(t.lastCopy, k)
		}
	}
	for k, at := range t.recent {
		if now.Sub(at) > t.recentWindow {
			delete(t.recent, k)
		}
	}
}

// depth is the keys queued or being copied.
func (t *tracker) depth() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.queued) + len(t.inFlight)
}

// flush makes every queued key due now (true) or restores the intervals.
func (t *tracker) flush(on bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.flushing = on
}

// clear drops every queued key (a rescan will copy them anyway).
func (t *tracker) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = nil
	clear(t.queued)
}

// recentKeys returns the keys notified within the window, by database, and
// whether some were not remembered (more than recentMax changed).
func (t *tracker) recentKeys(window time.Duration) (map[int][]string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	out := map[int][]string{}
	for k, at := range t.recent {
		if now.Sub(at) <= window {
			out[k.db] = append(out[k.db], k.key)
		}
	}
	return out, t.recentLost
}

func (t *tracker) counts() (notified, coalesced int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.notified, t.coalesced
}

// item is a queued key; keyHeap orders them by due time.
type item struct {
	k   dbKey
	due time.Time
}

type keyHeap []*item

func (h keyHeap) Len() int           { return len(h) }
func (h keyHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h keyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *keyHeap) Push(x any)        { *h = append(*h, x.(*item)) }
func (h *keyHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
