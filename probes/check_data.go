package probes

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/cutover/cutover/runbook"
)

var dataCheck = check{
	summary: "Compare key counts per database (INFO keyspace) between source and target, within thresholds.parity_tolerance for keys that expired.",
	calls: func(cfg *runbook.Config) []string {
		return []string{"INFO keyspace on " + cfg.Source.URL, "INFO keyspace on the target's primary"}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		src, tgt, ok := p.keyspaces(ctx, cfg)
		if !ok {
			return p.done("")
		}
		tol := cfg.Thresholds.ParityTolerance
		for _, db := range dbIndexes(src, tgt) {
			s, t := dbKeys(src, db), dbKeys(tgt, db)
			p.row(fmt.Sprintf("db%d keys", db), fmt.Sprintf("target %d, source %d", t, s), parityWant(s, tol), parityOK(s, t, tol))
		}
		s, t := src.Keys(), tgt.Keys()
		p.row("all keys", fmt.Sprintf("target %d, source %d", t, s), parityWant(s, tol), parityOK(s, t, tol))
		return p.done(fmt.Sprintf("target holds %d keys, source %d: within %.2f%%", t, s, tol*100))
	},
}

// keyspaces reads INFO keyspace on the source and the target's primary.
func (p *proof) keyspaces(ctx context.Context, cfg *runbook.Config) (src, tgt Info, ok bool) {
	sc := sourceClient(cfg, "check")
	defer sc.Close()
	src, err := infoOf(ctx, sc, "keyspace")
	if err != nil {
		p.fail("INFO keyspace on the source", err, "an answer")
		return src, tgt, false
	}
	tc, addr, err := primaryClient(ctx, cfg, "check")
	if err != nil {
		p.row("target primary", err.Error(), "found", false)
		return src, tgt, false
	}
	defer tc.Close()
	if tgt, err = infoOf(ctx, tc, "keyspace"); err != nil {
		p.fail("INFO keyspace on "+addr, err, "an answer")
		return src, tgt, false
	}
	return src, tgt, true
}

// parityOK: the target may lack at most tol of the source's keys (they
// expired in between); more keys on the target are new writes.
func parityOK(src, tgt int64, tol float64) bool { return tgt >= minKeys(src, tol) }

func parityWant(src int64, tol float64) string {
	return fmt.Sprintf(">= %d (source - %.2f%%)", minKeys(src, tol), tol*100)
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
