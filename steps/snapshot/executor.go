// Package snapshot takes the migration's snapshot of the source: through
// the ElastiCache API for an ElastiCache source (a replication group or a
// serverless cache), over the replication protocol (as redis-cli --rdb
// does) for a self-managed one.
package snapshot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/cutover/cutover/runbook"
)

// StepID is the runbook step this package carries out.
const StepID = runbook.MigrateSnapshot

// Executor is migrate.snapshot.
type Executor struct {
	// Poll is the DescribeSnapshots interval (default 5s).
	Poll time.Duration
	// Now is the clock for snapshot names (default time.Now).
	Now func() time.Time
}

// Executors returns this package's executors by step ID.
func Executors() map[runbook.StepID]runbook.Executor {
	return map[runbook.StepID]runbook.Executor{StepID: &Executor{}}
}

func (e *Executor) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Executor) poll() time.Duration {
	if e.Poll > 0 {
		return e.Poll
	}
	return 5 * time.Second
}

// Plan says what the snapshot will do; the operator confirms by typing the
// source (the replication group, or host:port of a self-managed source).
func (e *Executor) Plan(ctx context.Context, env *runbook.Env) (runbook.Plan, error) {
	switch env.Config.Source.Kind {
	case runbook.KindElastiCache:
		return e.planElastiCache(env), nil
	case runbook.KindServerless:
		return e.planServerless(env.Config), nil
	}
	return e.planSelfManaged(env.Config)
}

// Run takes the snapshot.
func (e *Executor) Run(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	if env.Config.Source.ElastiCache() {
		return e.runManaged(ctx, env, report)
	}
	return e.runSelfManaged(ctx, env, report)
}

// Verify re-checks that the snapshot exists and is usable.
func (e *Executor) Verify(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	if env.Config.Source.ElastiCache() {
		return e.verifyManaged(ctx, env)
	}
	return e.verifySelfManaged(ctx, env)
}

// Dir is where snapshot and downloaded RDB files go: "snapshots" next to
// the journal.
func Dir(cfg *runbook.Config) string {
	return filepath.Join(filepath.Dir(cfg.Journal), "snapshots")
}

// Name is the snapshot name for a replication group or serverless cache at
// t, e.g. cutover-lab-cache-20261125-1740 (ElastiCache names: letters,
// digits and single hyphens; lower case for a serverless cache's name).
func Name(group string, t time.Time) string {
	return fmt.Sprintf("cutover-%s-%s", strings.Trim(group, "-"), t.UTC().Format("20060102-1504"))
}

// Files are the migration's RDB files: the downloaded objects of an
// ElastiCache export, or the self-managed source's snapshot.
func Files(env *runbook.Env) ([]string, error) {
	if fs := env.Fact(runbook.DownloadFiles); fs != "" {
		return strings.Split(fs, ","), nil
	}
	for _, k := range []runbook.Fact{runbook.DownloadFile, runbook.SnapshotFile} {
		if f := env.Fact(k); f != "" {
			return []string{f}, nil
		}
	}
	switch {
	case env.Config.Source.Serverless():
		return nil, errors.New("no RDB file has been downloaded yet: run migrate.download first, or, when the snapshot cannot be exported, skip migrate.export and migrate.download saying why: migrate.load then copies the live cache with SCAN + DUMP/RESTORE")
	case env.Config.Source.ElastiCache():
		return nil, errors.New("no RDB file has been downloaded yet: run migrate.download first")
	}
	return nil, errors.New("no RDB file yet: run migrate.snapshot first")
}

// newest is the latest of the names this tool gave snapshots of id, or "":
// the timestamp suffix of Name sorts by time.
func newest(id string, names []string) string {
	prefix := "cutover-" + strings.Trim(id, "-") + "-"
	best := ""
	for _, n := range names {
		if strings.HasPrefix(n, prefix) && n > best {
			best = n
		}
	}
	return best
}
