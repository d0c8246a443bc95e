// Package livesync keeps a target in step with a live source without the
// replication protocol (ElastiCache refuses SYNC/PSYNC): it subscribes to
// keyspace notifications first, then copies every key with DUMP + PTTL and
// RESTORE ... ABSTTL REPLACE, then copies each key again as it changes.
//
// Pub/sub may lose messages (a killed connection, an output buffer limit, a
// network cut, notifications switched off): the sync detects each of these
// with a marker it writes on the source every second, marks itself possibly
// inconsistent and rescans until it has converged again.
package livesync

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// Dialer makes a client of one side for database db; the sync names its
// connections by purpose (livesync-events, livesync-copy, ...) and sizes
// the pool.
type Dialer func(purpose string, db, pool int) *redis.Client

// Options configure a Sync. Zero fields take the defaults.
type Options struct {
	Source, Target Dialer
	Workers        int           // copy connections per side (default 4)
	Batch          int           // keys per round trip (default 128)
	Interval       time.Duration // a key is copied at most once per Interval (default 200ms)
	MaxQueue       int           // keys waiting before events are given up for a rescan (default 200000)
	MarkerKey      string        // the marker key and channel in db 0 (default cutover:livesync:marker)
	MarkerEvery    time.Duration // marker writes (default 1s)
	Silence        time.Duration // no pub/sub message this long: PING; no PONG as long after: reconnect (default 3s)
	Timeout        time.Duration // bounds every call (default 10s)
	// Empty says the target was checked empty: the first pass then skips
	// looking for target keys the source lacks.
	Empty bool
	Log   func(format string, args ...any)
}

// DefaultMarkerKey is the key (and pub/sub channel) of the marker.
const DefaultMarkerKey = "cutover:livesync:marker"

// Defaults returns o with every zero field set to its default.
func (o Options) Defaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Workers, 4)
	def(&o.Batch, 128)
	def(&o.MaxQueue, 200_000)
	defD(&o.Interval, 200*time.Millisecond)
	defD(&o.MarkerEvery, time.Second)
	defD(&o.Silence, 3*time.Second)
	defD(&o.Timeout, 10*time.Second)
	if o.MarkerKey == "" {
		o.MarkerKey = DefaultMarkerKey
	}
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
	return o
}
