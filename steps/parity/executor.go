// Package parity checks the target against the source after the load: key
// counts per database within the TTL-expiry tolerance, and a sampled deep
// compare of type, value (decoded, so encodings and RDB versions do not
// matter) and TTL.
package parity

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/snapshot"
)

// StepID is the runbook step this package carries out.
const StepID = runbook.MigrateParity

// maxShown bounds the differences listed as evidence.
const maxShown = 20

// Executor is migrate.parity. It only reads.
type Executor struct{}

// Executors returns this package's executors by step ID.
func Executors() map[runbook.StepID]runbook.Executor {
	return map[runbook.StepID]runbook.Executor{StepID: &Executor{}}
}

// Plan lists the reads.
func (e *Executor) Plan(ctx context.Context, env *runbook.Env) (runbook.Plan, error) {
	t := env.Config.Thresholds
	p := runbook.Plan{
		Summary: fmt.Sprintf("Compare key counts per db (tolerance %g) and %d sampled keys (TTL tolerance %s)", t.ParityTolerance, t.SampleKeys, t.TTLTolerance.Duration),
		Calls: []string{
			"INFO keyspace on the source and on the target primary",
			"read the loaded RDB file(s): the keys per db not yet expired, which the target should hold (the source has moved on since the snapshot)",
			"per db: SELECT, then RANDOMKEY on the source for a share of the sample",
			"per sampled key on both: OBJECT IDLETIME (source), TYPE, PTTL, STRLEN/LLEN/SCARD/ZCARD/HLEN/XLEN",
			fmt.Sprintf("keys up to %d elements or %d MB: DUMP on both, payloads decoded and compared", bigElements, bigBytes>>20),
			fmt.Sprintf("bigger keys: size, then %d sampled elements (GETRANGE, LRANGE, SRANDMEMBER+SMISMEMBER, ZRANDMEMBER+ZMSCORE, HRANDFIELD+HMGET, XRANGE/XREVRANGE)", bigSample),
		},
	}
	if env.Config.Target.Kind == "cluster" {
		p.Calls[0] = "INFO keyspace on the source; CLUSTER SLOTS on the target's seed node, then INFO keyspace on each primary"
		p.Calls = slices.Insert(p.Calls, 2, "each primary's keys against the files' keys in its slots (CRC16 of the key or its {hash tag}), and their sum")
		p.Calls = append(p.Calls, "the target side through a cluster client: each sampled key read on the primary serving its slot; a source db other than 0 fails (a cluster has only db0)")
	}
	if sourceCluster(env) {
		p.Calls = append(p.Calls, "the source is in cluster mode: CLUSTER SLOTS on it, INFO keyspace on each of its primaries (summed), the sample drawn with RANDOMKEY on random shards and each key read on the primary serving its slot")
	}
	if env.State != nil && env.State.Get(runbook.MigrateStrategy).Choice == "live" {
		p.Calls = append(p.Calls, fmt.Sprintf("live sync: keys that differ are compared again after %s (twice thresholds.live_lag + 1s); equal then means changed in flight, not lost (the sync must be running in this process: from a shell, run migrate.live, migrate.parity and cutover.cname in one `cutover run`)", 2*t.LiveLag.Duration+time.Second))
	}
	return p, nil
}

// Run compares; Verify is the same read-only check.
func (e *Executor) Run(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	cfg := env.Config
	dst, err := openTarget(ctx, cfg)
	if err != nil {
		return runbook.Result{}, err
	}
	defer dst.close()
	addr := dst.addr
	src, err := openSource(ctx, env)
	if err != nil {
		return runbook.Result{}, err
	}
	defer src.close()

	sk, _, err := src.keyCounts(ctx)
	if err != nil {
		return runbook.Result{}, err
	}
	tk, perNode, err := dst.keyCounts(ctx)
	if err != nil {
		return runbook.Result{}, err
	}
	res := runbook.Result{OK: true}
	tol := cfg.Thresholds.ParityTolerance
	snap := snapshotCounts(env)
	for _, db := range sortedKeys(sk, tk, snap) {
		s, t := sk[db], tk[db]
		row := runbook.Evidence{Name: fmt.Sprintf("db%d keys", db), Value: fmt.Sprintf("source %d, target %d", s, t),
			Want: fmt.Sprintf("within %g of the source (%d keys)", tol, int64(tol*float64(s))), OK: within(t, s, tol)}
		if snap != nil {
			// The target should hold the snapshot; the source has moved on
			// since by whatever the application wrote.
			want := snap[db]
			row.Value += fmt.Sprintf(", snapshot %d", want)
			row.Want = fmt.Sprintf("target within %g of the snapshot (%d keys)", tol, int64(tol*float64(want)))
			row.OK = within(t, want, tol)
			if !within(t, s, tol) {
				res.Warnings = append(res.Warnings, fmt.Sprintf("db%d: the source holds %+d keys against the target (%.2f%%), written or expired since the snapshot: after the swap those are cache misses; snapshot and load again to close the gap", db, s-t, 100*float64(s-t)/float64(max(s, 1))))
			}
		}
		res.OK = res.OK && row.OK
		res.Evidence = append(res.Evidence, row)
	}
	if perNode != nil {
		files, _ := snapshot.Files(env)
		if want, ok := slotCounts(files); ok && snap != nil {
			for _, row := range dst.shardRows(perNode, want, tol) {
				res.OK = res.OK && row.OK
				res.Evidence = append(res.Evidence, row)
			}
		}
	}

	since := sinceSnapshot(env)
	d := &Deep{}
	share := shares(sk, cfg.Thresholds.SampleKeys)
	done := 0
	var sampled []string
	for _, db := range sortedKeys(share) {
		keys, err := deepDB(ctx, src, dst, db, share[db], sk[db], cfg.Thresholds.TTLTolerance.Duration, since, d)
		if err != nil {
			return runbook.Result{}, err
		}
		sampled = append(sampled, keys...)
		done += share[db]
		report(runbook.Progress{Done: int64(done), Total: int64(cfg.Thresholds.SampleKeys), Unit: "keys", Message: fmt.Sprintf("compared db%d", db)})
	}
	live := env.State != nil && env.State.Get(runbook.MigrateStrategy).Choice == "live"
	if live {
		// The sync copies a changed key within its lag: look again after it.
		settle := 2*cfg.Thresholds.LiveLag.Duration + time.Second
		report(runbook.Progress{Done: int64(done), Total: int64(cfg.Thresholds.SampleKeys), Unit: "keys", Message: fmt.Sprintf("comparing the differing keys again in %s (live sync)", settle)})
		if err := recheck(ctx, src, dst, d, cfg.Thresholds.TTLTolerance.Duration, settle); err != nil {
			return runbook.Result{}, err
		}
	}
	allowed := int(tol * float64(d.Sampled))
	lost := d.Lost()
	res.OK = res.OK && lost <= allowed
	res.Evidence = append(res.Evidence,
		runbook.Evidence{Name: "sampled keys", Value: fmt.Sprintf("%d (%d big, compared by size and a sample)", d.Sampled, d.Big), OK: true},
		runbook.Evidence{Name: "identical", Value: strconv.Itoa(d.Same), OK: true},
		runbook.Evidence{Name: "used on the source since", Value: strconv.Itoa(len(d.Findings) - lost - d.inFlight()), OK: true},
		runbook.Evidence{Name: "differences", Value: strconv.Itoa(lost), Want: fmt.Sprintf("<= %d", allowed), OK: lost <= allowed})
	if perNode != nil {
		res.Evidence = append(res.Evidence, dst.sampledRow(sampled))
	}
	if live {
		res.Evidence = append(res.Evidence, runbook.Evidence{Name: "changed in flight (equal on a second look)", Value: strconv.Itoa(d.inFlight()), OK: true})
	}
	// Losses first: they are what fails the check.
	sort.SliceStable(d.Findings, func(i, j int) bool { return d.Findings[i].lost() && !d.Findings[j].lost() })
	for i, f := range d.Findings {
		if i == maxShown {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%d more differences not listed", len(d.Findings)-maxShown))
			break
		}
		res.Evidence = append(res.Evidence, runbook.Evidence{Name: "differs", Value: f.String(), OK: f.Drift || f.InFlight})
	}
	res.Outputs = map[string]string{"target": addr}
	res.Put(runbook.ParitySampled, strconv.Itoa(d.Sampled))
	res.Put(runbook.ParityDifferences, strconv.Itoa(lost))
	for db, n := range snap {
		// verify.data holds the target to what was moved, as this does.
		res.Put(runbook.ParitySnapshotDB(db), strconv.FormatInt(n, 10))
	}
	res.Summary = fmt.Sprintf("key counts match within %g and %d of %d sampled keys are identical", tol, d.Same, d.Sampled)
	if snap != nil {
		res.Summary = fmt.Sprintf("the target holds the snapshot (counts within %g); %d of %d sampled keys identical, %d changed on the source since", tol, d.Same, d.Sampled, len(d.Findings)-lost)
	}
	if !res.OK {
		res.Summary = fmt.Sprintf("the target differs from the source: %d of %d sampled keys differ (%d allowed); see the evidence", lost, d.Sampled, allowed)
		for _, e := range res.Evidence {
			if !e.OK && e.Name != "differs" && e.Name != "differences" {
				res.Summary = fmt.Sprintf("the target differs from the source: %s is %s, want %s", e.Name, e.Value, e.Want)
				break
			}
		}
	}
	return res, nil
}

// Verify re-runs the comparison; it changes nothing.
func (e *Executor) Verify(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	return e.Run(ctx, env, func(runbook.Progress) {})
}

// deepDB samples n keys of db on the source and compares them; it returns
// the keys sampled.
func deepDB(ctx context.Context, src, dst *side, db, n int, dbKeys int64, tol, since time.Duration, d *Deep) ([]string, error) {
	var keys []string
	err := onDB(ctx, src, dst, db, func(sc, dc redis.Cmdable) error {
		var err error
		if keys, err = sample(ctx, sc, n, dbKeys); err != nil {
			return fmt.Errorf("RANDOMKEY on the source db%d: %s", db, probes.Explain(err))
		}
		if err := compareKeys(ctx, sc, dc, db, keys, tol, since, d); err != nil {
			return fmt.Errorf("db%d: %s", db, probes.Explain(err))
		}
		return nil
	})
	return keys, err
}

// onDB runs f on a connection of each side with db selected.
func onDB(ctx context.Context, src, dst *side, db int, f func(sc, dc redis.Cmdable) error) error {
	return src.onDB(ctx, db, func(sc redis.Cmdable) error {
		return dst.onDB(ctx, db, func(dc redis.Cmdable) error { return f(sc, dc) })
	})
}

// sortedKeys lists the dbs of the maps in order.
func sortedKeys[V any](ms ...map[int]V) []int {
	set := map[int]bool{}
	for _, m := range ms {
		for db := range m {
			set[db] = true
		}
	}
	dbs := make([]int, 0, len(set))
	for db := range set {
		dbs = append(dbs, db)
	}
	sort.Ints(dbs)
	return dbs
}

func within(have, want int64, tol float64) bool {
	return math.Abs(float64(have-want)) <= tol*float64(want)
}

// snapshotCounts are the keys per db the loaded files hold and that have
// not expired by now, or nil when the files cannot be read.
func snapshotCounts(env *runbook.Env) map[int]int64 {
	files, err := snapshot.Files(env)
	if err != nil {
		return nil
	}
	out := map[int]int64{}
	for _, f := range files {
		sum, err := snapshot.VerifyFile(f, time.Now(), nil)
		if err != nil {
			return nil
		}
		for _, d := range sum.DBs {
			out[d.DB] += d.Loadable()
		}
	}
	return out
}

// sinceSnapshot is how long ago the snapshot's data was captured (the
// RDB's ctime), or 0 when unknown.
func sinceSnapshot(env *runbook.Env) time.Duration {
	for _, k := range []runbook.Fact{runbook.DownloadTakenAt, runbook.SnapshotTakenAt} {
		if ms, err := strconv.ParseInt(env.Fact(k), 10, 64); err == nil {
			return time.Since(time.UnixMilli(ms))
		}
	}
	return 0
}
