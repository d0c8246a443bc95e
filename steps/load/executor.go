package load

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/rdb"
	"github.com/cutover/cutover/steps/snapshot"
)

// StepID is the runbook step this package carries out.
const StepID = runbook.MigrateLoad

// Executor is migrate.load.
type Executor struct {
	// Conns is the number of RESTORE connections (default 4).
	Conns int
}

// Executors returns this package's executors by step ID.
func Executors() map[runbook.StepID]runbook.Executor {
	return map[runbook.StepID]runbook.Executor{StepID: &Executor{}}
}

// settings are the run options, checked.
type settings struct {
	existing, method string
	resumed          bool // a previous load did not finish: overwrite what it wrote
}

func readSettings(env *runbook.Env) (settings, error) {
	s := settings{existing: env.Opt("existing", Refuse), method: env.Opt("method", "restore")}
	if s.existing != Refuse && s.existing != Replace && s.existing != Flush {
		return s, fmt.Errorf("run option existing=%q is not refuse, replace or flush", s.existing)
	}
	if s.method != "restore" && s.method != "restart" {
		return s, fmt.Errorf("run option method=%q is not restore or restart", s.method)
	}
	if env.State != nil {
		prev := env.State.Get(StepID)
		if prev.Runs > 0 && (prev.Result == nil || !prev.Result.OK) && s.existing == Refuse {
			s.existing, s.resumed = Replace, true
		}
	}
	return s, nil
}

// resumedWarning is the plan's word on a load run again after a failure.
const resumedWarning = "The previous load did not finish: this run overwrites what it wrote (RESTORE REPLACE), so it converges."

// primary is the address to load into: the current primary of a sentinel
// target, else the target URL's (a cluster's seed node).
func primary(ctx context.Context, cfg *runbook.Config) (string, error) {
	return probes.TargetPrimary(ctx, cfg)
}

func isCluster(cfg *runbook.Config) bool { return cfg.Target.Kind == "cluster" }

func control(cfg *runbook.Config, addr string, more ...probes.Option) *redis.Client {
	opts := append([]probes.Option{probes.Addr(addr), probes.ConfigDir(cfg.Dir), probes.Timeout(10 * time.Second)}, more...)
	return probes.Client(cfg.Target.Endpoint, "load", opts...)
}

// Plan lists the passes and commands; the operator types the target
// primary's address.
func (e *Executor) Plan(ctx context.Context, env *runbook.Env) (runbook.Plan, error) {
	s, err := readSettings(env)
	if err != nil {
		return runbook.Plan{}, err
	}
	if scanCopy(env) {
		addr, err := primary(ctx, env.Config)
		if err != nil {
			return runbook.Plan{}, err
		}
		return e.planScan(env, s, addr)
	}
	files, err := snapshot.Files(env)
	if err != nil {
		return runbook.Plan{}, err
	}
	addr, err := primary(ctx, env.Config)
	if err != nil {
		return runbook.Plan{}, err
	}
	if s.method == "restart" {
		return e.planRestart(env.Config, addr, files)
	}
	if isCluster(env.Config) {
		return e.planCluster(addr, files, s), nil
	}
	p := runbook.Plan{
		Summary:  fmt.Sprintf("Load %s into %s with a streamed RESTORE pipeline", strings.Join(files, ", "), addr),
		Resource: addr,
	}
	for _, f := range files {
		p.Calls = append(p.Calls, "read "+f+" to the end: structure and CRC64; nothing is written unless it verifies")
	}
	p.Calls = append(p.Calls, fmt.Sprintf("INFO on %s: engine version (RDB version), role, keys per db", addr))
	switch s.existing {
	case Refuse:
		p.Calls = append(p.Calls, "stop if a database the file writes already holds keys")
	case Flush:
		p.Calls = append(p.Calls, "FLUSHALL ASYNC on "+addr+" if a database the file writes holds keys")
		p.Warnings = append(p.Warnings, "existing=flush deletes every key on "+addr+" before loading.")
	}
	restore := "RESTORE key expiry payload ABSTTL"
	if s.existing == Replace {
		restore = "RESTORE key expiry payload REPLACE ABSTTL"
	}
	p.Calls = append(p.Calls,
		fmt.Sprintf("%s [IDLETIME|FREQ] per key over %d connections, the payload stamped with the target's RDB version; keys already expired are skipped", restore, e.conns()),
		"keys whose type the target's version cannot RESTORE: DEL, then RPUSH/SADD/ZADD/HSET/XADD/XGROUP in batches of 1000, then PEXPIREAT",
		"FUNCTION LOAD for each function library in the file")
	if s.resumed {
		p.Warnings = append(p.Warnings, resumedWarning)
	}
	return p, nil
}

func (e *Executor) conns() int {
	if e.Conns > 0 {
		return e.Conns
	}
	return 4
}

// Run verifies every file, then loads them.
func (e *Executor) Run(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	s, err := readSettings(env)
	if err != nil {
		return runbook.Result{}, err
	}
	if scanCopy(env) {
		addr, err := primary(ctx, env.Config)
		if err != nil {
			return runbook.Result{}, err
		}
		return e.runScan(ctx, env, s, addr, report)
	}
	files, err := snapshot.Files(env)
	if err != nil {
		return runbook.Result{}, err
	}
	sums := make([]*rdb.Summary, len(files))
	for i, f := range files {
		env.Logf("verifying %s", f)
		if sums[i], err = snapshot.VerifyFile(f, time.Now(), func(done, total int64) {
			report(runbook.Progress{Done: done, Total: total, Unit: "bytes", Message: "verifying " + f})
		}); err != nil {
			return runbook.Result{}, fmt.Errorf("refusing to load: %v; nothing was written", err)
		}
	}
	addr, err := primary(ctx, env.Config)
	if err != nil {
		return runbook.Result{}, err
	}
	if s.resumed {
		env.Logf("the previous load did not finish: overwriting with RESTORE REPLACE")
	}
	if isCluster(env.Config) && s.method == "restore" {
		return e.runCluster(ctx, env, addr, files, sums, s, report)
	}
	c := control(env.Config, addr)
	defer c.Close()
	if s.method == "restart" {
		return e.runRestart(ctx, env, c, files, sums, report)
	}
	total := &Stats{PerDB: map[int]int64{}}
	for i, f := range files {
		o := Options{Existing: s.existing, Conns: e.conns(), Logf: env.Logf, Progress: func(p Progress) {
			report(runbook.Progress{Done: p.Bytes, Total: p.TotalBytes, Unit: "bytes", Message: progressLine(p)})
		}}
		if i > 0 && o.Existing == Refuse {
			o.Existing = Replace // shards hold disjoint keys; the first file's keys are ours
		}
		env.Logf("loading %s into %s", f, addr)
		st, err := Load(ctx, c, f, sums[i], o)
		if err != nil {
			return runbook.Result{}, err
		}
		total.add(st)
		env.Logf("%s: %d keys in %s (%d restored, %d rebuilt with commands, %d expired and %d empty skipped, %d refused)",
			f, st.Keys, st.Elapsed.Round(time.Millisecond), st.Restored, st.Native, st.Expired, st.Empty, st.Failed)
	}
	return loadResult(total, addr), nil
}

func (t *Stats) add(s *Stats) {
	t.Target = s.Target
	t.Keys += s.Keys
	t.Restored += s.Restored
	t.Native += s.Native
	t.Expired += s.Expired
	t.Empty += s.Empty
	t.Failed += s.Failed
	t.Failures = append(t.Failures, s.Failures...)
	t.Warnings = append(t.Warnings, s.Warnings...)
	t.Functions += s.Functions
	t.Bytes += s.Bytes
	t.Elapsed += s.Elapsed
	for db, n := range s.PerDB {
		t.PerDB[db] += n
	}
}

func progressLine(p Progress) string {
	s := fmt.Sprintf("%d of %d keys, %.0f keys/s", p.Keys, p.TotalKeys, p.Rate)
	if p.ETA > 0 {
		s += ", about " + p.ETA.Round(time.Second).String() + " left"
	}
	if len(p.Migrating) > 0 {
		s += fmt.Sprintf("; slot migration in progress: %s", p.Migrating[0])
		if len(p.Migrating) > 1 {
			s += fmt.Sprintf(" and %d more", len(p.Migrating)-1)
		}
	}
	return s
}

func loadResult(st *Stats, addr string) runbook.Result {
	rate := 0.0
	if st.Elapsed > 0 {
		rate = float64(st.Keys) / st.Elapsed.Seconds()
	}
	res := runbook.Result{
		OK: st.Failed == 0,
		Summary: fmt.Sprintf("%d keys loaded into %s in %s (%.0f keys/s); %d refused", st.Keys, addr,
			st.Elapsed.Round(time.Millisecond), rate, st.Failed),
		Evidence: []runbook.Evidence{
			{Name: "target", Value: fmt.Sprintf("%s (%s, RDB %d)", addr, st.Target.Engine, st.Target.RDBVersion), OK: true},
			{Name: "keys loaded", Value: strconv.FormatInt(st.Keys, 10), OK: true},
			{Name: "by RESTORE", Value: strconv.FormatInt(st.Restored, 10), OK: true},
			{Name: "rebuilt with commands", Value: strconv.FormatInt(st.Native, 10), OK: true},
			{Name: "expired, skipped", Value: strconv.FormatInt(st.Expired, 10), OK: true},
			{Name: "empty collections, skipped", Value: strconv.FormatInt(st.Empty, 10), OK: true},
			{Name: "refused by the target", Value: strconv.FormatInt(st.Failed, 10), Want: "0", OK: st.Failed == 0},
			{Name: "function libraries", Value: strconv.Itoa(st.Functions), OK: true},
		},
		Outputs: map[string]string{
			"target": addr, runbook.LoadKeys.Name: strconv.FormatInt(st.Keys, 10), "restored": strconv.FormatInt(st.Restored, 10),
			"native": strconv.FormatInt(st.Native, 10), "expired_skipped": strconv.FormatInt(st.Expired, 10),
			"failed": strconv.FormatInt(st.Failed, 10), "empty_skipped": strconv.FormatInt(st.Empty, 10),
		},
		Warnings: st.Warnings,
	}
	for _, db := range sortedDBs(st.PerDB) {
		res.Evidence = append(res.Evidence, runbook.Evidence{Name: fmt.Sprintf("db%d", db), Value: fmt.Sprintf("%d keys written", st.PerDB[db]), OK: true})
	}
	for _, f := range st.Failures {
		res.Evidence = append(res.Evidence, runbook.Evidence{Name: "refused", Value: f, OK: false})
	}
	return res
}

// Verify compares the target's keys per db with what the files hold now
// (keys expired since are not expected), or with the source's for a copy
// of the live source, within thresholds.parity_tolerance.
func (e *Executor) Verify(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	if scanCopy(env) {
		return verifyScan(ctx, env)
	}
	files, err := snapshot.Files(env)
	if err != nil {
		return runbook.Result{}, err
	}
	want := map[int]int64{}
	for _, f := range files {
		sum, err := snapshot.VerifyFile(f, time.Now(), nil)
		if err != nil {
			return runbook.Result{}, err
		}
		for _, d := range sum.DBs {
			want[d.DB] += d.Loadable()
		}
	}
	t, err := probeTarget(ctx, env.Config)
	if err != nil {
		return runbook.Result{}, err
	}
	res := keysResult(want, t, env.Config.Thresholds.ParityTolerance, "the file")
	for _, a := range slices.Sorted(maps.Keys(t.PerNode)) {
		res.Evidence = append(res.Evidence, runbook.Evidence{Name: "keys on " + a, Value: strconv.FormatInt(t.PerNode[a], 10), OK: true})
	}
	return res, nil
}

// probeTarget probes the target's primary, or every primary of a cluster
// (keys summed).
func probeTarget(ctx context.Context, cfg *runbook.Config) (*Target, error) {
	addr, err := primary(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if isCluster(cfg) {
		o := &Options{}
		o.norm()
		p, err := prepareCluster(ctx, clusterOf(cfg, addr), nil, nil, o)
		if err != nil {
			return nil, err
		}
		return p.t, nil
	}
	c := control(cfg, addr)
	defer c.Close()
	return Probe(ctx, c)
}

// keysResult compares the target's keys per db with want, what from
// ("the file", "the source") holds, within the tolerance.
func keysResult(want map[int]int64, t *Target, tol float64, from string) runbook.Result {
	res := runbook.Result{OK: true}
	for _, db := range sortedDBs(want) {
		have := t.Keys[db]
		ok := float64(want[db]-have) <= tol*float64(want[db])
		res.OK = res.OK && ok
		res.Evidence = append(res.Evidence, runbook.Evidence{Name: fmt.Sprintf("db%d keys", db),
			Value: strconv.FormatInt(have, 10), Want: fmt.Sprintf(">= %d (%s: %d, tolerance %g)", want[db]-int64(tol*float64(want[db])), strings.TrimPrefix(from, "the "), want[db], tol), OK: ok})
	}
	res.Summary = fmt.Sprintf("the target %s holds %s's keys", t.Addr, from)
	if !res.OK {
		res.Summary = fmt.Sprintf("the target %s is missing keys %s holds; re-run migrate.load with existing=replace", t.Addr, from)
	}
	return res
}
