package live

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/livesync"
)

// Run options of migrate.live.
const (
	Refuse = "refuse" // a target that holds keys is refused
	Mirror = "mirror" // it is made a mirror of the source
)

// Executor is migrate.live.
type Executor struct{ svc *Service }

// Executors are this package's steps, bound to the process's service.
func Executors(svc *Service) map[runbook.StepID]runbook.Executor {
	return map[runbook.StepID]runbook.Executor{runbook.MigrateLive: &Executor{svc: svc}, runbook.CutoverCname: &Cutover{svc: svc}}
}

func existingOpt(env *runbook.Env) (string, error) {
	v := env.Opt("existing", Refuse)
	if v != Refuse && v != Mirror {
		return "", fmt.Errorf("run option existing=%q is not refuse or mirror", v)
	}
	return v, nil
}

// serverlessErr refuses a live sync from ElastiCache Serverless, which
// sends no keyspace notifications to follow.
func serverlessErr(cfg *runbook.Config) error {
	if cfg.Source.Serverless() {
		return errors.New("a live sync follows keyspace notifications, and ElastiCache Serverless has none: choose the rdb strategy (migrate.strategy) instead")
	}
	return nil
}

// Plan says what the sync will do on each side.
func (e *Executor) Plan(ctx context.Context, env *runbook.Env) (runbook.Plan, error) {
	cfg := env.Config
	if err := serverlessErr(cfg); err != nil {
		return runbook.Plan{}, err
	}
	existing, err := existingOpt(env)
	if err != nil {
		return runbook.Plan{}, err
	}
	addr, err := probes.TargetPrimary(ctx, cfg)
	if err != nil {
		return runbook.Plan{}, err
	}
	o := livesync.Options{}.Defaults()
	p := runbook.Plan{Resource: addr,
		Summary: fmt.Sprintf("Live sync from the source to the target primary %s: subscribe to keyspace notifications, copy every key, then follow every change until cutover.cname stops it", addr),
		Calls: []string{
			"CONFIG GET notify-keyspace-events on the source: it must hold K and every class (KEA); a source that refuses CONFIG (ElastiCache) is tested by the marker instead",
			fmt.Sprintf("on the source (connection cutover-livesync-events): PSUBSCRIBE %s and SUBSCRIBE %s, before anything is copied", livesync.Pattern, o.MarkerKey),
			fmt.Sprintf("every %s on the source: MULTI; SET %s \"<run> <seq> <ms>\"; PUBLISH %s <seq>; EXEC; the PUBLISH must come back right after the key's notification and one number after the last, or events were lost: a catch-up rescan starts", o.MarkerEvery, o.MarkerKey, o.MarkerKey),
			fmt.Sprintf("every %s on the target: GET %s: the lag is the age of the oldest marker not there yet", o.MarkerEvery, o.MarkerKey),
			fmt.Sprintf("every db the source's INFO keyspace lists: SCAN COUNT %d, then per batch of %d keys on %d connections each side: MULTI; DUMP k; PTTL k ...; EXEC on the source, RESTORE k <now+pttl> payload REPLACE ABSTTL (or DEL when gone) on the target", 4*o.Batch, o.Batch, o.Workers),
			fmt.Sprintf("then each notified key again the same way, at most once every %s per key (hot keys are coalesced); more than %d keys waiting starts a rescan instead", o.Interval, o.MaxQueue),
			"a rescan also SCANs the target and DELs the keys the source no longer holds (EXISTS on the source)",
			fmt.Sprintf("done once the first pass is complete, no event was lost since, and the lag is under %s; the sync keeps running in this process (console or cutover run) until cutover.cname stops it, and stops when the process exits", cfg.Thresholds.LiveLag.Duration),
		},
	}
	if existing == Mirror {
		p.Calls = append(p.Calls, "existing=mirror: the first pass also SCANs the target and DELs the keys the source lacks")
	}
	if v := env.State.Facts[runbook.DiscoverKeyspaceEvents]; v != "" && v != "on" {
		p.Warnings = append(p.Warnings, fmt.Sprintf("inventory.discover found notify-keyspace-events not set on the source (%s): set it to KEA first, or the run stops at the start", v))
	}
	if counts, err := targetCounts(ctx, cfg, addr); err == nil && len(counts) > 0 {
		if existing == Refuse {
			p.Warnings = append(p.Warnings, fmt.Sprintf("the target holds keys (%s): the run will refuse; choose existing=mirror to overwrite them and delete those the source lacks", dbList(counts)))
		} else {
			p.Warnings = append(p.Warnings, fmt.Sprintf("the target holds keys (%s): they become a mirror of the source (keys the source lacks are deleted)", dbList(counts)))
		}
	}
	if e.svc.running() != nil {
		p.Warnings = append(p.Warnings, "a live sync already runs in this process: the run waits for it to catch up instead of starting another")
	}
	return p, nil
}

func targetCounts(ctx context.Context, cfg *runbook.Config, addr string) (map[int]int64, error) {
	c := probes.Client(cfg.Target.Endpoint, "live", probes.Addr(addr), probes.ConfigDir(cfg.Dir))
	defer c.Close()
	counts, err := probes.KeyCounts(ctx, c)
	for db, n := range counts {
		if n == 0 {
			delete(counts, db)
		}
	}
	return counts, err
}

func dbList(counts map[int]int64) string {
	dbs := make([]int, 0, len(counts))
	for db := range counts {
		dbs = append(dbs, db)
	}
	sort.Ints(dbs)
	s := ""
	for i, db := range dbs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("db%d=%d", db, counts[db])
	}
	return s
}

// Run starts the sync (or joins the one running) and returns once it has
// caught up; the sync goes on in the background.
func (e *Executor) Run(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	cfg := env.Config
	if err := serverlessErr(cfg); err != nil {
		return runbook.Result{}, err
	}
	existing, err := existingOpt(env)
	if err != nil {
		return runbook.Result{}, err
	}
	addr, err := probes.TargetPrimary(ctx, cfg)
	if err != nil {
		return runbook.Result{}, err
	}
	sy := e.svc.running()
	if sy == nil {
		counts, err := targetCounts(ctx, cfg, addr)
		if err != nil {
			return runbook.Result{}, fmt.Errorf("INFO keyspace on the target %s: %s", addr, probes.Explain(err))
		}
		if len(counts) > 0 && existing == Refuse {
			return runbook.Result{}, fmt.Errorf("the target %s already holds keys (%s): empty it, or run again with existing=mirror to make it a mirror of the source", addr, dbList(counts))
		}
		env.Logf("subscribing to keyspace notifications on the source, then copying every key to %s", addr)
		if sy, err = e.svc.start(ctx, cfg, len(counts) == 0); err != nil && !errors.Is(err, errRunning) {
			return runbook.Result{}, err
		}
	}
	total := sourceKeys(ctx, cfg)
	if err := follow(ctx, sy, cfg.Thresholds.LiveLag.Duration, total, report); err != nil {
		if ctx.Err() != nil {
			// Cancelled before it caught up: a half-copied target is no
			// use, and nothing else will stop the sync.
			e.svc.stop()
		}
		return runbook.Result{}, err
	}
	st := sy.Stats()
	res := caughtUpResult(st, cfg.Thresholds.LiveLag.Duration)
	res.Summary = fmt.Sprintf("first copy done (%d keys to %s), lag %s: the sync keeps running in the background until cutover.cname", st.Copied, addr, lagText(st))
	res.Outputs = map[string]string{"target": addr, "copied": strconv.FormatInt(st.Copied, 10),
		"copied_at": st.CopiedAt.UTC().Format(time.RFC3339)}
	return res, nil
}

// follow reports the sync's progress until it has caught up.
func follow(ctx context.Context, sy *livesync.Sync, maxLag time.Duration, total int64, report func(runbook.Progress)) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sy.CaughtUp(cctx, maxLag) }()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		st := sy.Stats()
		report(runbook.Progress{Done: st.Copied, Total: total, Unit: "keys", Message: st.String()})
		select {
		case err := <-done:
			return err
		case <-t.C:
		}
	}
}

func sourceKeys(ctx context.Context, cfg *runbook.Config) int64 {
	c := probes.Client(cfg.Source, "live", probes.ConfigDir(cfg.Dir))
	defer c.Close()
	counts, _ := probes.KeyCounts(ctx, c)
	var n int64
	for _, v := range counts {
		n += v
	}
	return n
}

func lagText(st livesync.Stats) string {
	if !st.LagKnown {
		return "unknown"
	}
	return fmt.Sprintf("%.1fs", st.Lag.Seconds())
}

// caughtUpResult is the evidence of a sync's state against the lag limit.
func caughtUpResult(st livesync.Stats, maxLag time.Duration) runbook.Result {
	lagOK := st.LagKnown && st.Lag < maxLag
	ev := []runbook.Evidence{
		{Name: "phase", Value: string(st.Phase), Want: string(livesync.Streaming), OK: st.Phase == livesync.Streaming},
		{Name: "keys copied", Value: strconv.FormatInt(st.Copied, 10), OK: true},
		{Name: "keys deleted on the target", Value: strconv.FormatInt(st.Deleted, 10), OK: true},
		{Name: "events", Value: fmt.Sprintf("%d (%.0f/s, %d coalesced)", st.Events, st.EventsPerSec, st.Coalesced), OK: true},
		{Name: "queue", Value: strconv.Itoa(st.Queue), OK: true},
		{Name: "lag", Value: lagText(st), Want: "< " + maxLag.String(), OK: lagOK},
		{Name: "events dropped", Value: dropped(st), Want: "none since the last pass", OK: st.Consistent},
	}
	return runbook.Result{OK: lagOK && st.Consistent && st.Phase == livesync.Streaming, Evidence: ev}
}

func dropped(st livesync.Stats) string {
	if st.Dropped == 0 {
		return "0"
	}
	s := fmt.Sprintf("%d times, each caught up by a rescan (%d passes)", st.Dropped, st.Passes)
	if st.LastIncident != nil {
		s += "; last: " + st.LastIncident.Reason
	}
	return s
}

// Verify reports the running sync; it changes nothing.
func (e *Executor) Verify(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	sy := e.svc.running()
	if sy == nil {
		return runbook.Result{Summary: "no live sync runs in this process (it stops with the process that started it): cutover.cname starts one again and catches up with a full pass"}, nil
	}
	st := sy.Stats()
	res := caughtUpResult(st, env.Config.Thresholds.LiveLag.Duration)
	res.Summary = st.String()
	return res, nil
}
