package probes

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

var dataCheck = check{
	summary: "Compare key counts per database (INFO keyspace) between source and target, within thresholds.parity_tolerance for keys that expired.",
	calls: func(cfg *runbook.Config) []string {
		return []string{"INFO keyspace on " + cfg.Source.URL + " (every primary of a cluster-mode source)", "INFO keyspace on the target's primary (every primary of a cluster)"}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		src, tgt, ok := p.keyspaces(ctx, env)
		if !ok {
			return p.done("")
		}
		tol := cfg.Thresholds.ParityTolerance
		var want, drift int64
		for _, db := range dbIndexes(src, tgt) {
			s, t := dbKeys(src, db), dbKeys(tgt, db)
			// After an RDB move the target is held to what was moved (the
			// snapshot counts migrate.parity recorded): keys the source got
			// after the snapshot are the accepted window of cache misses.
			base, label := s, "source"
			if n, ok := snapshotKeys(env.State, db); ok && n < s {
				base, label = n, "snapshot"
				drift += s - n
			}
			want += base
			p.row(fmt.Sprintf("db%d keys", db), fmt.Sprintf("target %d, source %d", t, s), fmt.Sprintf(">= %d (%s - %.2f%%)", minKeys(base, tol), label, tol*100), parityOK(base, t, tol))
		}
		s, t := src.Keys(), tgt.Keys()
		p.row("all keys", fmt.Sprintf("target %d, source %d", t, s), fmt.Sprintf(">= %d", minKeys(want, tol)), parityOK(want, t, tol))
		if drift > 0 {
			p.res.Warnings = append(p.res.Warnings, fmt.Sprintf("the source got %d keys after the snapshot; clients that need them miss once on the target", drift))
		}
		return p.done(fmt.Sprintf("target holds %d keys, source %d: within %.2f%% of what was moved", t, s, tol*100))
	},
}

// keyspaces reads INFO on the source and the target's primary, or on
// every primary of either side that is a cluster, summed.
func (p *proof) keyspaces(ctx context.Context, env *runbook.Env) (src, tgt Info, ok bool) {
	cfg := env.Config
	ss, err := openNodeSet(ctx, cfg, cfg.Source, sourceScope(env, primaries), "check")
	if err != nil {
		p.fail("the source's primaries", err, "found")
		return src, tgt, false
	}
	defer ss.Close()
	if src, err = ss.read(ctx); err != nil {
		p.fail("INFO keyspace on the source", err, "an answer")
		return src, tgt, false
	}
	var ts nodeSet
	if cfg.Target.Kind == "cluster" {
		ts, err = openNodeSet(ctx, cfg, cfg.Target.Endpoint, primaries, "check")
	} else {
		var tc *redis.Client
		if tc, _, err = primaryClient(ctx, cfg, "check"); err == nil {
			ts = nodeSet{tc}
		}
	}
	if err != nil {
		p.row("target primary", err.Error(), "found", false)
		return src, tgt, false
	}
	defer ts.Close()
	if tgt, err = ts.read(ctx); err != nil {
		p.fail("INFO keyspace on the target", err, "an answer")
		return src, tgt, false
	}
	return src, tgt, true
}

// sourceScope is sc for a cluster-mode ElastiCache source (as
// inventory.discover found it), else the source itself: serverless shows
// one node.
func sourceScope(env *runbook.Env, sc scope) scope {
	if env.Fact(runbook.DiscoverClusterMode) == "enabled" && !env.Config.Source.Serverless() {
		return sc
	}
	return oneNode
}

// parityOK: the target may lack at most tol of the source's keys (they
// expired in between); more keys on the target are new writes.
func parityOK(src, tgt int64, tol float64) bool { return tgt >= minKeys(src, tol) }

// snapshotKeys is the key count of db in the loaded snapshot, when
// migrate.parity recorded it.
func snapshotKeys(st *runbook.State, db int) (int64, bool) {
	if st == nil {
		return 0, false
	}
	v, ok := st.Facts[runbook.ParitySnapshotDB(db)]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

func minKeys(src int64, tol float64) int64 { return int64(math.Ceil(float64(src) * (1 - tol))) }

func dbKeys(in Info, db int) int64 {
	for _, d := range in.Keyspace {
		if d.Index == db {
			return d.Keys
		}
	}
	return 0
}

// dbIndexes are the databases either side has keys in, in order.
func dbIndexes(a, b Info) []int {
	var out []int
	for _, in := range []Info{a, b} {
		for _, d := range in.Keyspace {
			if !slices.Contains(out, d.Index) {
				out = append(out, d.Index)
			}
		}
	}
	slices.Sort(out)
	return out
}
