package live

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/dnsswap"
	"github.com/cutover/cutover/steps/livesync"
)

// Values of cutover.cname's pause option.
const (
	PauseWrite = "write" // CLIENT PAUSE WRITE on the source for the final drain
	PauseNone  = "none"  // no pause: the compare allows keys changed in flight
)

// Cutover is cutover.cname: the DNS swap of steps/dnsswap, unchanged for
// the other strategies. On the live strategy it first brings the target
// level with a paused source and proves it on the keys changed in the last
// minute, and after the swap keeps syncing until the source's application
// clients have left.
type Cutover struct {
	svc   *Service
	Swap  dnsswap.Swap
	Pause time.Duration // how long CLIENT PAUSE may hold writes (default 10s)
	Poll  time.Duration // CLIENT LIST interval after the swap (default 1s)
}

func isLive(env *runbook.Env) bool {
	return env.State != nil && env.State.Get(runbook.MigrateStrategy).Choice == "live"
}

func (c *Cutover) pause() time.Duration {
	if c.Pause > 0 {
		return c.Pause
	}
	return 10 * time.Second
}

func (c *Cutover) poll() time.Duration {
	if c.Poll > 0 {
		return c.Poll
	}
	return time.Second
}

func pauseOpt(env *runbook.Env) (string, error) {
	v := env.Opt("pause", PauseWrite)
	if v != PauseWrite && v != PauseNone {
		return "", fmt.Errorf("run option pause=%q is not write or none", v)
	}
	return v, nil
}

// Plan is the swap's plan, framed by the live sync's drain and wait.
func (c *Cutover) Plan(ctx context.Context, env *runbook.Env) (runbook.Plan, error) {
	p, err := c.Swap.Plan(ctx, env)
	if err != nil || !isLive(env) {
		return p, err
	}
	pause, err := pauseOpt(env)
	if err != nil {
		return p, err
	}
	th := env.Config.Thresholds
	before := []string{fmt.Sprintf("wait until the live sync is consistent (no event lost since its last pass) with a lag under %s", th.LiveLag.Duration)}
	if pause == PauseWrite {
		before = append(before, fmt.Sprintf("CLIENT PAUSE %d WRITE on the source: writes wait, reads go on (marker writes stop meanwhile); if the source refuses it, the run stops here with nothing changed, and pause=none goes on without", c.pause().Milliseconds()))
	} else {
		before = append(before, "no CLIENT PAUSE (pause=none): writes go on, so the drain and compare are repeated up to 3 times; a key equal on a later look counts as changed in flight")
	}
	before = append(before,
		"PING on the events connection (every notification sent before it has arrived), then copy every queued key without the per-key interval",
		fmt.Sprintf("compare every key changed in the last minute on both sides (type, decoded value, TTL within %s); a difference stops the run before the swap", th.TTLTolerance.Duration))
	if pause == PauseWrite {
		before = append(before, "CLIENT UNPAUSE on the source (the pause also ends by itself)")
	}
	after := fmt.Sprintf("CLIENT LIST on the source every %s until no client is left but cutover's own (named cutover-*) and replicas, for at most %s; the live sync copies their writes meanwhile, then stops and deletes its marker key on both sides", c.poll(), th.LiveClients.Duration)
	p.Calls = append(append(before, p.Calls...), after)
	p.Summary += "; on the live strategy: drain the sync on a paused source, compare, swap, and sync on until the source's clients are gone"
	if c.svc.running() == nil {
		p.Warnings = append(p.Warnings, "no live sync runs in this process: the run starts one, which first copies every key again (a full catch-up pass)")
	}
	return p, nil
}

// Run swaps; on the live strategy with the drain before and the wait after.
func (c *Cutover) Run(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	if !isLive(env) {
		return c.Swap.Run(ctx, env, report)
	}
	cfg := env.Config
	pause, err := pauseOpt(env)
	if err != nil {
		return runbook.Result{}, err
	}
	sy := c.svc.running()
	if sy == nil {
		env.Logf("no live sync runs in this process: starting one; it copies every key again before the swap")
		if sy, err = c.svc.start(ctx, cfg, false); err != nil {
			return runbook.Result{}, err
		}
	}
	if err := follow(ctx, sy, cfg.Thresholds.LiveLag.Duration, 0, report); err != nil {
		return runbook.Result{}, fmt.Errorf("the live sync did not catch up (lag under %s): %w; nothing was changed", cfg.Thresholds.LiveLag.Duration, err)
	}
	report(runbook.Progress{Message: "draining the live sync"})
	s, err := c.settle(ctx, env, sy, pause)
	if err != nil {
		return runbook.Result{Evidence: s.evidence(pause)}, err
	}
	env.Logf("live sync drained: %d keys changed in the last minute are equal on both sides", s.cmp.Same)
	res, err := c.Swap.Run(ctx, env, report)
	res.Evidence = append(s.evidence(pause), res.Evidence...)
	if res.Outputs != nil {
		res.Outputs["live_compared"] = strconv.Itoa(s.cmp.Keys)
		res.Outputs["live_paused_ms"] = strconv.FormatInt(s.paused.Milliseconds(), 10)
	}
	if err != nil || !res.OK {
		env.Logf("the swap did not complete: the live sync keeps running")
		return res, err
	}
	return c.finish(ctx, env, res, report)
}

// finish waits for the source's application clients to leave, then stops
// the sync.
func (c *Cutover) finish(ctx context.Context, env *runbook.Env, res runbook.Result, report func(runbook.Progress)) (runbook.Result, error) {
	wait := env.Config.Thresholds.LiveClients.Duration
	start := time.Now()
	left, err := c.awaitClients(ctx, env, wait, report)
	if err != nil {
		return res, err
	}
	waited := time.Since(start).Round(100 * time.Millisecond)
	if len(left) > 0 {
		res.Evidence = append(res.Evidence, runbook.Evidence{Name: "application clients on the source", Value: fmt.Sprintf("%d after %s: %s", len(left), waited, strings.Join(left, ", ")), Want: "0", OK: true})
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d application client(s) still use the source after %s: the live sync keeps copying their writes while this process runs; restart the application (cutover.restart), then run cutover.cname again (--rerun): it finds the name swapped, waits for the clients to leave and stops the sync", len(left), waited))
		return res, nil
	}
	st, err := c.svc.stop()
	res.Evidence = append(res.Evidence,
		runbook.Evidence{Name: "application clients on the source", Value: "0 after " + waited.String(), Want: "0", OK: true},
		runbook.Evidence{Name: "live sync stopped", Value: fmt.Sprintf("%d keys copied, %d deleted, %d events, dropped %d", st.Copied, st.Deleted, st.Events, st.Dropped), OK: err == nil})
	if err != nil {
		res.Warnings = append(res.Warnings, "the live sync had stopped on an error: "+err.Error())
	}
	res.Outputs["live_stopped_at"] = time.Now().UTC().Format(time.RFC3339)
	res.Summary += fmt.Sprintf("; the source's clients left after %s and the live sync stopped", waited)
	labWrites(ctx, env.Config, &res)
	env.Logf("the source has no application clients left: live sync stopped")
	return res, nil
}

// settled is what the final drain showed.
type settled struct {
	lag    time.Duration
	paused time.Duration // how long writes were held
	rounds int
	cmp    livesync.Compared
	flight int // keys that differed on an earlier look only
	more   bool
}

func (s settled) evidence(pause string) []runbook.Evidence {
	ev := []runbook.Evidence{{Name: "live sync lag before the drain", Value: fmt.Sprintf("%.1fs", s.lag.Seconds()), OK: true}}
	if pause == PauseWrite {
		ev = append(ev, runbook.Evidence{Name: "writes paused on the source", Value: s.paused.Round(time.Millisecond).String(), OK: s.paused > 0})
	}
	keys := strconv.Itoa(s.cmp.Keys)
	if s.more {
		keys += " (more changed than are remembered: the rest are not compared)"
	}
	ev = append(ev, runbook.Evidence{Name: "keys changed in the last minute", Value: keys, OK: true},
		runbook.Evidence{Name: "of those, equal on both sides", Value: strconv.Itoa(s.cmp.Same), Want: "all", OK: s.cmp.Diffs == 0 && s.rounds > 0})
	if pause == PauseNone {
		ev = append(ev, runbook.Evidence{Name: "changed in flight (equal on a later look)", Value: strconv.Itoa(s.flight), OK: true})
	}
	for _, d := range s.cmp.Differs {
		ev = append(ev, runbook.Evidence{Name: "differs", Value: d, OK: false})
	}
	return ev
}

// settle pauses writes (or not), drains the sync and compares the keys
// changed in the last minute; the source is unpaused before it returns.
func (c *Cutover) settle(ctx context.Context, env *runbook.Env, sy *livesync.Sync, pause string) (s settled, err error) {
	cfg := env.Config
	st := sy.Stats()
	s.lag = st.Lag
	src := probes.Client(cfg.Source, "live-pause", probes.ConfigDir(cfg.Dir))
	defer src.Close()
	rounds := 3
	if pause == PauseWrite {
		rounds = 1
		sy.HoldMarker(true)
		defer sy.HoldMarker(false)
		ms := c.pause().Milliseconds()
		pctx, cancel := context.WithTimeout(ctx, probes.DefaultTimeout)
		err = src.Do(pctx, "CLIENT", "PAUSE", ms, "WRITE").Err()
		cancel()
		if err != nil {
			return s, fmt.Errorf("the source refuses CLIENT PAUSE %d WRITE (%s): nothing was changed; to swap without pausing writes, run cutover.cname again with pause=none (the final compare then allows keys changed in flight)", ms, probes.Explain(err))
		}
		at := time.Now()
		env.Logf("source writes paused for at most %d ms", ms)
		defer func() {
			s.paused = time.Since(at)
			uctx, cancel := context.WithTimeout(context.Background(), probes.DefaultTimeout)
			defer cancel()
			if err := src.Do(uctx, "CLIENT", "UNPAUSE").Err(); err != nil {
				env.Logf("CLIENT UNPAUSE on the source: %s; the pause ends by itself after %d ms", probes.Explain(err), ms)
			}
		}()
	}
	limit := c.pause() - time.Second
	differed := 0
	for s.rounds < rounds {
		dctx, cancel := context.WithTimeout(ctx, limit)
		err = sy.Drain(dctx)
		cancel()
		if err != nil {
			return s, fmt.Errorf("the live sync did not drain within %s: %w; nothing was changed (the sync keeps running)", limit, err)
		}
		s.rounds++
		keys, more := sy.RecentKeys(time.Minute)
		s.more = more
		s.cmp = livesync.Compared{}
		if err := compareRecent(ctx, cfg, keys, &s.cmp); err != nil {
			return s, err
		}
		if s.cmp.Diffs == 0 {
			s.flight = differed
			return s, nil
		}
		differed = max(differed, s.cmp.Diffs)
	}
	return s, fmt.Errorf("%d of %d keys changed in the last minute differ on the target after the drain (first: %s): the sync is not keeping up or lost a change; nothing was changed", s.cmp.Diffs, s.cmp.Keys, s.cmp.Differs[0])
}

// compareRecent compares the given keys per database on both sides.
func compareRecent(ctx context.Context, cfg *runbook.Config, keys map[int][]string, out *livesync.Compared) error {
	o := Options(cfg)
	for db, ks := range keys {
		src, dst := o.Source("live-compare", db, 2), o.Target("live-compare", db, 2)
		err := livesync.Compare(ctx, src, dst, db, ks, cfg.Thresholds.TTLTolerance.Duration, out)
		src.Close()
		dst.Close()
		if err != nil {
			return fmt.Errorf("comparing the keys changed in the last minute (db%d): %s", db, probes.Explain(err))
		}
	}
	return nil
}

// awaitClients polls the source's clients until only cutover's own are
// left or wait has passed; it returns those still there.
func (c *Cutover) awaitClients(ctx context.Context, env *runbook.Env, wait time.Duration, report func(runbook.Progress)) ([]string, error) {
	src := probes.Client(env.Config.Source, "live-clients", probes.ConfigDir(env.Config.Dir))
	defer src.Close()
	deadline := time.Now().Add(wait)
	var left []string
	for {
		cctx, cancel := context.WithTimeout(ctx, probes.DefaultTimeout)
		list, err := src.ClientList(cctx).Result()
		cancel()
		switch {
		case err != nil:
			env.Logf("CLIENT LIST on the source: %s; retrying", probes.Explain(err))
		default:
			if left = AppClients(list); len(left) == 0 {
				return nil, nil
			}
			st, _ := c.svc.Stats()
			report(runbook.Progress{Message: fmt.Sprintf("%d application client(s) still on the source (%s); the live sync copies their writes: %s", len(left), strings.Join(left, ", "), st)})
		}
		if time.Now().After(deadline) {
			return left, nil
		}
		select {
		case <-ctx.Done():
			return left, ctx.Err()
		case <-time.After(c.poll()):
		}
	}
}

// AppClients lists the application's connections in a CLIENT LIST reply
// (as "addr name"): every client but cutover's own (named cutover-*) and
// replication links.
func AppClients(list string) []string {
	var out []string
	for line := range strings.SplitSeq(list, "\n") {
		f := map[string]string{}
		for kv := range strings.FieldsSeq(line) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				f[k] = v
			}
		}
		if f["addr"] == "" || strings.HasPrefix(f["name"], "cutover-") || strings.ContainsAny(f["flags"], "SM") {
			continue
		}
		c := f["addr"]
		if f["name"] != "" {
			c += " " + f["name"]
		}
		out = append(out, c)
	}
	return out
}

// Verify re-proves where the name leads.
func (c *Cutover) Verify(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	return c.Swap.Verify(ctx, env)
}
