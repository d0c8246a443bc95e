package livesync

import (
	"slices"
	"testing"
	"time"
)

func TestParseChannel(t *testing.T) {
	for _, c := range []struct {
		ch   string
		want dbKey
		ok   bool
	}{
		{"__keyspace@0__:user:42", dbKey{0, "user:42"}, true},
		{"__keyspace@15__:a__:b", dbKey{15, "a__:b"}, true},
		{"__keyspace@3__:", dbKey{3, ""}, true},
		{"__keyevent@0__:set", dbKey{}, false},
		{"__keyspace@x__:k", dbKey{}, false},
		{"__keyspace@-1__:k", dbKey{}, false},
		{"cutover:livesync:marker", dbKey{}, false},
	} {
		got, ok := parseChannel(c.ch)
		if ok != c.ok || got != c.want {
			t.Errorf("parseChannel(%q) = %v %v, want %v %v", c.ch, got, ok, c.want, c.ok)
		}
	}
}

// clock is a settable time for the tracker.
type clock struct{ t time.Time }

func (c *clock) now() time.Time           { return c.t }
func (c *clock) add(d time.Duration)      { c.t = c.t.Add(d) }
func newClock() *clock                    { return &clock{t: time.Unix(1_700_000_000, 0)} }
func k(db int, key string) dbKey          { return dbKey{db, key} }
func takeAll(tr *tracker) (int, []string) { db, keys, _ := tr.take(100); return db, keys }

func TestTrackerCoalescesAndSerialises(t *testing.T) {
	c := newClock()
	tr := newTracker(200*time.Millisecond, 3, c.now)

	// Many events for one key are one copy.
	for range 1000 {
		tr.notify(k(0, "hot"))
	}
	if _, keys := takeAll(tr); !slices.Equal(keys, []string{"hot"}) {
		t.Fatalf("take = %v, want [hot] once", keys)
	}
	// While in flight, a new event marks it dirty; nothing is handed out.
	tr.notify(k(0, "hot"))
	if _, keys := takeAll(tr); len(keys) != 0 {
		t.Fatalf("a key in flight was handed out again: %v", keys)
	}
	// Done: queued again, but due one interval after the copy.
	tr.done(0, []string{"hot"})
	if _, keys, wait := tr.take(100); len(keys) != 0 || wait != 200*time.Millisecond {
		t.Fatalf("take right after the copy = %v wait %s, want nothing for 200ms", keys, wait)
	}
	c.add(200 * time.Millisecond)
	if _, keys := takeAll(tr); !slices.Equal(keys, []string{"hot"}) {
		t.Fatalf("after the interval take = %v", keys)
	}
	tr.done(0, []string{"hot"})
	if n, co := tr.counts(); n != 1001 || co != 1000 {
		t.Fatalf("counts %d notified %d coalesced, want 1001 and 1000", n, co)
	}

	// The scan leaves keys that are queued or in flight to that copy.
	tr.notify(k(1, "queued"))
	if got := tr.claim(1, []string{"queued", "fresh"}); !slices.Equal(got, []string{"fresh"}) {
		t.Fatalf("claim = %v, want [fresh]", got)
	}
	tr.notify(k(1, "fresh")) // while the scan copies it
	tr.done(1, []string{"fresh"})
	c.add(time.Second)
	if db, keys := takeAll(tr); db != 1 || !slices.Equal(keys, []string{"queued", "fresh"}) {
		t.Fatalf("take = db%d %v, want db1 [queued fresh]", db, keys)
	}
	tr.done(1, []string{"queued", "fresh"})

	// A batch is one database.
	tr.notify(k(0, "a"))
	tr.notify(k(2, "b"))
	tr.notify(k(0, "c"))
	db, keys := takeAll(tr)
	if db != 0 || !slices.Equal(keys, []string{"a", "c"}) {
		t.Fatalf("take = db%d %v, want db0 [a c]", db, keys)
	}
	if tr.depth() != 3 {
		t.Fatalf("depth %d, want 3 (two in flight, one queued)", tr.depth())
	}
	// Full: the queue refuses rather than grows.
	tr.notify(k(3, "x"))
	tr.notify(k(3, "y"))
	if tr.notify(k(3, "z")) {
		t.Fatal("the fourth queued key was accepted with max 3")
	}
	// Flush ignores the intervals.
	tr.done(0, keys)
	tr.notify(k(0, "a"))
	tr.flush(true)
	if _, got, _ := tr.take(100); len(got) == 0 {
		t.Fatal("flush did not make the waiting key due")
	}
}

func TestTrackerRecentAndPrune(t *testing.T) {
	c := newClock()
	tr := newTracker(200*time.Millisecond, 10, c.now)
	tr.notify(k(0, "old"))
	c.add(50 * time.Second)
	tr.notify(k(1, "new"))
	c.add(20 * time.Second)
	tr.prune()
	got, more := tr.recentKeys(time.Minute)
	if more || len(got) != 1 || !slices.Equal(got[1], []string{"new"}) {
		t.Fatalf("recent = %v %v, want db1 [new] only", got, more)
	}
	if len(tr.lastCopy) != 0 {
		t.Fatalf("prune kept %d copy times", len(tr.lastCopy))
	}
}

func TestMarkerDetectsGapsAndSilence(t *testing.T) {
	m := newMarker("mk", "run1")
	step := func(seq int64, notified bool) string {
		if notified {
			m.notified()
		}
		return m.arrived(seq)
	}
	for _, c := range []struct {
		seq      int64
		notified bool
		problem  bool
	}{
		{1, true, false},
		{2, true, false},
		{2, true, false}, // a retried write: ignored
		{3, true, false},
		{5, true, true},  // 4 is missing
		{6, false, true}, // the key's notification did not come
		{7, true, false},
	} {
		if got := step(c.seq, c.notified); (got != "") != c.problem {
			t.Errorf("marker %d (notified %v): problem %q, want problem %v", c.seq, c.notified, got, c.problem)
		}
	}
	m.reset()
	if got := step(42, true); got != "" {
		t.Errorf("the first marker after a resubscribe: %q", got)
	}
}

func TestMarkerLag(t *testing.T) {
	m := newMarker("mk", "run1")
	t0 := time.Unix(1_700_000_000, 0)
	for seq := int64(1); seq <= 3; seq++ {
		m.sent[seq] = t0.Add(time.Duration(seq) * time.Second)
	}
	m.next = 4
	for _, c := range []struct {
		value string
		now   time.Time
		want  time.Duration
	}{
		{"", t0.Add(3500 * time.Millisecond), 2500 * time.Millisecond},          // nothing there: marker 1 is 2.5 s old
		{"other 3 0", t0.Add(3500 * time.Millisecond), 2500 * time.Millisecond}, // another run's marker
		{"run1 2 0", t0.Add(3500 * time.Millisecond), 500 * time.Millisecond},   // 3 is on its way
		{"run1 3 0", t0.Add(3500 * time.Millisecond), 0},                        // all there
		{"run1 1 0", t0.Add(4 * time.Second), 0},                                // an older read does not go back
	} {
		m.readBack(c.value, c.now)
		if lag, ok := m.lagNow(); !ok || lag != c.want {
			t.Errorf("readBack(%q): lag %s %v, want %s", c.value, lag, ok, c.want)
		}
	}
}
