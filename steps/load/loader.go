// Package load puts an RDB file into the target: a verifying pass first,
// then a streamed RESTORE pipeline over several connections (or native
// commands where the target cannot take the payload), or, for a local
// target, the file placed in its data dir and a restart.
package load

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/steps/rdb"
	"github.com/cutover/cutover/steps/snapshot"
)

// Existing says what to do when the target already holds keys.
const (
	Refuse  = "refuse"  // stop before writing anything
	Replace = "replace" // RESTORE ... REPLACE over matching keys
	Flush   = "flush"   // FLUSHALL first
)

// Options tune a load.
type Options struct {
	Existing string      // Refuse (default), Replace or Flush
	DBMap    map[int]int // source db -> target db; unlisted dbs keep their number
	Conns    int         // connections per primary (default 4; 2 on a cluster, whose primaries load in parallel)
	Now      func() time.Time
	Progress func(Progress)
	// ProgressEvery is the least time between progress reports (default
	// 250ms).
	ProgressEvery time.Duration
	Logf          func(format string, args ...any)
}

// Progress is reported while loading.
type Progress struct {
	Phase      string // "verify" or "load"
	Bytes      int64  // read from the file so far
	TotalBytes int64
	Keys       int64 // keys the target has acknowledged
	TotalKeys  int64 // keys in the file
	Rate       float64
	ETA        time.Duration
	Migrating  []string // slot migrations under way on a cluster target
}

// Stats is the outcome of a load.
type Stats struct {
	Target    *Target
	Keys      int64         // keys written (acknowledged)
	Restored  int64         // of which by RESTORE
	Native    int64         // of which rebuilt with ordinary commands
	Expired   int64         // already expired in the file: skipped
	Empty     int64         // collections without elements in the file: skipped
	Failed    int64         // refused by the target
	Failures  []string      // the first few refusals, naming the key
	Warnings  []string      // what the load does not carry over: the file's (Summary.Warnings), then per key
	Functions int           // function libraries loaded
	PerDB     map[int]int64 // keys written per target db
	// On a cluster target: keys written per primary, redirects followed,
	// and the slot migrations under way when the load started.
	PerNode    map[string]int64
	Moved      int64
	Asked      int64
	Migrations []string
	Bytes      int64
	Elapsed    time.Duration
}

const (
	batchBytes  = 256 << 10 // a batch is written when it reaches this
	batchCmds   = 2000
	keepBytes   = 4 << 20 // a batch buffer that grew beyond this is dropped after use
	inflight    = 2       // batches written but not yet answered, per connection
	maxFailures = 20
	maxWarnings = 200
)

func (o *Options) norm() {
	if o.Existing == "" {
		o.Existing = Refuse
	}
	if o.Conns <= 0 {
		o.Conns = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 250 * time.Millisecond
	}
}

func (o *Options) mapDB(db int) int {
	if t, ok := o.DBMap[db]; ok {
		return t
	}
	return db
}

// Load streams the RDB file at path into the target that control reaches
// (its primary). sum is the verified summary of the file (VerifyFile):
// nothing is written unless the file verified; its warnings are logged
// before anything is written. Existing keys in the databases the file
// writes are refused unless o.Existing says otherwise.
func Load(ctx context.Context, control *redis.Client, path string, sum *rdb.Summary, o Options) (*Stats, error) {
	o.norm()
	start := time.Now()
	t, err := Probe(ctx, control)
	if err != nil {
		return nil, err
	}
	for _, w := range sum.Warnings {
		o.Logf("warning: %s", w)
	}
	var dbs []int
	for _, d := range sum.DBs {
		if d.Loadable() > 0 && !slices.Contains(dbs, o.mapDB(d.DB)) {
			dbs = append(dbs, o.mapDB(d.DB))
		}
	}
	if err := prepare(ctx, control, t, dbs, o.Existing, o.Logf); err != nil {
		return nil, err
	}
	to := routing{addrs: []string{t.Addr}, opt: func(string) *redis.Options { return control.Options() }}
	st, err := stream(ctx, to, []source{{path, sum}}, t, &o)
	if st != nil {
		st.Target, st.Elapsed = t, time.Since(start)
		st.Warnings = append(slices.Clip(sum.Warnings), st.Warnings...)
	}
	return st, err
}

// prepare applies existing (refuse, replace, flush) to the databases dbs
// the load writes, before anything is written.
func prepare(ctx context.Context, control *redis.Client, t *Target, dbs []int, existing string, logf func(string, ...any)) error {
	busy := t.Busy(dbs)
	if len(busy) == 0 {
		return nil
	}
	switch existing {
	case Refuse:
		return &NotEmptyError{Addr: t.Addr, Busy: busy}
	case Flush:
		// ASYNC: the keys are gone at once and freed in the background,
		// so a big target does not block past the client's timeout.
		logf("FLUSHALL ASYNC on %s (it held %s)", t.Addr, strings.Join(busy, ", "))
		fctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := control.FlushAllAsync(fctx).Err(); err != nil {
			return fmt.Errorf("FLUSHALL on the target %s failed: %s", t.Addr, probes.Explain(err))
		}
	}
	return nil
}

// File verifies the RDB file at path (structure, the compact encodings
// inside values and CRC64; nothing is written if that fails) and then loads
// it with Load.
func File(ctx context.Context, control *redis.Client, path string, o Options) (*rdb.Summary, *Stats, error) {
	o.norm()
	sum, err := snapshot.VerifyFile(path, o.Now(), func(done, total int64) {
		if o.Progress != nil {
			o.Progress(Progress{Phase: "verify", Bytes: done, TotalBytes: total})
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("refusing to load: %v; nothing was written", err)
	}
	st, err := Load(ctx, control, path, sum, o)
	return sum, st, err
}

// NotEmptyError is the refusal to load into a target that holds keys.
type NotEmptyError struct {
	Addr string
	Busy []string
}

func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("the target %s already holds keys (%s): nothing was written; choose existing=replace to overwrite matching keys or existing=flush to empty it first", e.Addr, strings.Join(e.Busy, ", "))
}
