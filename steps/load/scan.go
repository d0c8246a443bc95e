package load

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/rediscluster"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/livesync/keycopy"
)

// When a serverless cache's snapshot cannot be exported (no bucket in its
// region, the export refused) the operator skips migrate.export, saying
// why, and migrate.download; the load then copies the live source with
// SCAN and livesync's copier (DUMP + PTTL in one MULTI, RESTORE ... ABSTTL
// REPLACE). A serverless cache has one database (no SELECT), no CONFIG or
// CLIENT LIST, and is cluster-enabled with one virtual shard: the copy
// reads db 0 only, sends none of those, and puts the keys of one hash slot
// in each MULTI. It is not a point-in-time copy: a key is copied as it is
// when read.

// scanPage is the SCAN COUNT of the copy.
const scanPage = 1000

// copyTimeout bounds one SCAN page or one slot's copy.
const copyTimeout = 30 * time.Second

// scanCopy says whether the load copies the live source: a serverless
// source whose migrate.export was skipped.
func scanCopy(env *runbook.Env) bool {
	return env.Config.Source.Serverless() && env.State != nil && env.State.Get(runbook.MigrateExport).Status == runbook.Skipped
}

func exportSkipped(env *runbook.Env) string {
	return fmt.Sprintf("migrate.export was skipped: %s", env.State.Get(runbook.MigrateExport).Reason)
}

var errScanRestart = errors.New("method=restart places an RDB file, and with migrate.export skipped there is none: choose method=restore to copy the live source")

var errScanCluster = errors.New("with migrate.export skipped the load copies the live source into one primary, and the target is a cluster: export the cache (migrate.export) so the files can be routed by slot")

func (e *Executor) planScan(env *runbook.Env, s settings, addr string) (runbook.Plan, error) {
	if s.method == "restart" {
		return runbook.Plan{}, errScanRestart
	}
	if isCluster(env.Config) {
		return runbook.Plan{}, errScanCluster
	}
	cache := env.Config.Source.ServerlessCache
	p := runbook.Plan{
		Summary:  fmt.Sprintf("Copy serverless cache %s into %s with SCAN + DUMP/RESTORE (%s)", cache, addr, exportSkipped(env)),
		Resource: addr,
		Calls:    []string{fmt.Sprintf("INFO on %s: role, keys per db", addr)},
	}
	switch s.existing {
	case Refuse:
		p.Calls = append(p.Calls, "stop if db0 of "+addr+" already holds keys")
	case Flush:
		p.Calls = append(p.Calls, "FLUSHALL ASYNC on "+addr+" if db0 holds keys")
		p.Warnings = append(p.Warnings, "existing=flush deletes every key on "+addr+" before copying.")
	}
	p.Calls = append(p.Calls,
		"DBSIZE on "+cache+" (for the progress)",
		fmt.Sprintf("SCAN cursor COUNT %d on %s until the cursor is 0 (db 0: serverless has no SELECT; no CONFIG, no CLIENT LIST)", scanPage, cache),
		fmt.Sprintf("per hash slot of each page: MULTI, DUMP key, PTTL key ..., EXEC on %s; then RESTORE key now+pttl payload REPLACE ABSTTL (DEL for a key gone since the SCAN) on %s; %d slots at a time", cache, addr, e.conns()))
	if s.resumed {
		p.Warnings = append(p.Warnings, resumedWarning)
	}
	p.Warnings = append(p.Warnings,
		"Not a point-in-time copy: the source keeps taking writes, and each key is copied as it is when read; migrate.parity compares afterwards.",
		"Only keys are copied: function libraries are not.")
	return p, nil
}

func (e *Executor) runScan(ctx context.Context, env *runbook.Env, s settings, addr string, report func(runbook.Progress)) (runbook.Result, error) {
	cfg := env.Config
	if s.method == "restart" {
		return runbook.Result{}, errScanRestart
	}
	if isCluster(cfg) {
		return runbook.Result{}, errScanCluster
	}
	start := time.Now()
	dst := control(cfg, addr, probes.PoolSize(e.conns()+1))
	defer dst.Close()
	t, err := Probe(ctx, dst)
	if err != nil {
		return runbook.Result{}, err
	}
	if err := prepare(ctx, dst, t, []int{0}, s.existing, env.Logf); err != nil {
		return runbook.Result{}, err
	}
	src := probes.Client(cfg.Source, "load-scan", probes.ConfigDir(cfg.Dir), probes.Timeout(10*time.Second), probes.PoolSize(e.conns()+1))
	defer src.Close()
	total := sourceKeys(ctx, src)
	env.Logf("copying serverless cache %s (%d keys) into %s with SCAN + DUMP/RESTORE: %s", cfg.Source.ServerlessCache, total, addr, exportSkipped(env))
	n, err := copyLive(ctx, src, dst, e.conns(), func(done int64) {
		report(runbook.Progress{Done: done, Total: total, Unit: "keys", Message: fmt.Sprintf("%d of about %d keys copied", done, total)})
	})
	if err != nil {
		return runbook.Result{}, fmt.Errorf("copying %s into %s: %v (a re-run of migrate.load overwrites what this one copied)", cfg.Source.ServerlessCache, addr, err)
	}
	st := &Stats{Target: t, Keys: n.Restored, Restored: n.Restored, PerDB: map[int]int64{0: n.Restored}, Elapsed: time.Since(start)}
	res := loadResult(st, addr)
	res.Evidence = append([]runbook.Evidence{{Name: "method", Value: "SCAN + DUMP/RESTORE of the live source (" + exportSkipped(env) + ")", OK: true}}, res.Evidence...)
	res.Outputs["method"] = "scan"
	res.Warnings = append(res.Warnings, "a copy of the live source, not of one moment: keys written during it are as they were when read")
	env.Logf("%d keys copied into %s in %s (%d gone before they were read)", n.Restored, addr, st.Elapsed.Round(time.Millisecond), n.Deleted)
	return res, nil
}

// sourceKeys is the source's DBSIZE, or 0 when it cannot be read (the
// progress then has no total).
func sourceKeys(ctx context.Context, src *redis.Client) int64 {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, _ := src.DBSize(ctx).Result()
	return n
}

// copyLive SCANs src and copies every key to dst with keycopy.Copy, the
// keys of each page grouped by hash slot, conns slots at a time. progress
// gets the keys copied so far after each page.
func copyLive(ctx context.Context, src, dst *redis.Client, conns int, progress func(done int64)) (keycopy.Copied, error) {
	var restored, deleted atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	slots := make(chan []string)
	for range conns {
		g.Go(func() error {
			for keys := range slots {
				cctx, cancel := context.WithTimeout(gctx, copyTimeout)
				n, err := keycopy.Copy(cctx, src, dst, 0, keys)
				cancel()
				if err != nil {
					return err
				}
				restored.Add(n.Restored)
				deleted.Add(n.Deleted)
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(slots)
		var cursor uint64
		for {
			sctx, cancel := context.WithTimeout(gctx, copyTimeout)
			keys, next, err := src.Scan(sctx, cursor, "", scanPage).Result()
			cancel()
			if err != nil {
				return fmt.Errorf("SCAN on the source: %s", probes.Explain(err))
			}
			for _, group := range bySlot(keys) {
				select {
				case slots <- group:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			progress(restored.Load())
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	})
	err := g.Wait()
	progress(restored.Load())
	return keycopy.Copied{Restored: restored.Load(), Deleted: deleted.Load()}, err
}

// bySlot groups keys by Redis Cluster hash slot, in first-seen order.
func bySlot(keys []string) [][]string {
	index := map[int]int{}
	var groups [][]string
	for _, k := range keys {
		s := rediscluster.Of([]byte(k))
		i, ok := index[s]
		if !ok {
			i = len(groups)
			index[s] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], k)
	}
	return groups
}

// verifyScan compares the target's db0 with the source's DBSIZE now.
func verifyScan(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	t, err := probeTarget(ctx, env.Config)
	if err != nil {
		return runbook.Result{}, err
	}
	src := probes.Client(env.Config.Source, "load-verify", probes.ConfigDir(env.Config.Dir), probes.Timeout(10*time.Second))
	defer src.Close()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := src.DBSize(cctx).Result()
	if err != nil {
		return runbook.Result{}, fmt.Errorf("DBSIZE on the source: %s", probes.Explain(err))
	}
	return keysResult(map[int]int64{0: n}, t, env.Config.Thresholds.ParityTolerance, "the source"), nil
}
