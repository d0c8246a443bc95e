package dnsswap

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/cutover/cutover/runbook"
)

// Swap points dns.record at the target (cutover.cname) or, with Rollback,
// back at the value recorded before the swap (rollback.cname), then proves
// where clients land.
type Swap struct {
	Rollback bool
	Timing   Timing
}

// route is one swap worked out from the config and the journal's facts.
type route struct {
	step     runbook.StepID
	expected []string // values the record may hold before the change
	to       string
	previous string // what rollback returns to; "" = the value found
	side     side
}

func (s *Swap) route(env *runbook.Env) route {
	cfg := env.Config
	if s.Rollback {
		return route{
			step:     runbook.RollbackCname,
			expected: []string{firstSet(env.Fact(runbook.SwapValue), cfg.DNS.TargetValue)},
			to:       firstSet(env.Fact(runbook.SwapPrevious), cfg.DNS.SourceValue),
			side:     sourceSide(cfg),
		}
	}
	// A re-run (say after a failover drill moved the primary and
	// dns.target_value was edited) starts from the value the last swap set,
	// and keeps the original value for rollback.
	exp := []string{cfg.DNS.SourceValue}
	if v := env.Fact(runbook.SwapValue); v != "" {
		exp = append(exp, v)
	}
	return route{step: runbook.CutoverCname, expected: exp, to: cfg.DNS.TargetValue,
		previous: env.Fact(runbook.SwapPrevious), side: targetSide(cfg)}
}

// Plan reads the record as it is now and says what the swap will do.
func (s *Swap) Plan(ctx context.Context, env *runbook.Env) (runbook.Plan, error) {
	cfg := env.Config
	r := s.route(env)
	z, err := newZone(ctx, cfg)
	if err != nil {
		return runbook.Plan{}, err
	}
	p := runbook.Plan{Resource: cfg.DNS.Record}
	now := "could not be read"
	cur, err := z.read(ctx, cfg.DNS.Record)
	switch {
	case err != nil:
		p.Warnings = append(p.Warnings, "the current record could not be read: "+err.Error())
	default:
		now = fmt.Sprintf("now %s, TTL %d s", canonical(cur.Value), cur.TTL)
		if sameName(cur.Value, r.to) {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s already points at %s: nothing will change; the run only proves where clients land", cfg.DNS.Record, r.to))
		} else if !matchesAny(cur.Value, r.expected) {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s points at %s, not %s: the run will refuse to change it", cfg.DNS.Record, canonical(cur.Value), joinOr(r.expected)))
		}
	}
	if !s.Rollback {
		if w := ttlWarning(env.State.Facts, cfg.DNS.SourceValue, time.Now()); w != "" {
			p.Warnings = append(p.Warnings, w)
		}
	}
	p.Summary = fmt.Sprintf("Point %s at %s (%s), wait for Route53 INSYNC, and prove clients reach the %s", cfg.DNS.Record, r.to, now, r.side.role)
	p.Calls = s.calls(cfg, r)
	return p, nil
}

func (s *Swap) calls(cfg *runbook.Config, r route) []string {
	expect := "INFO server on source.url " + hostPort(cfg.Source.URL) + ": its run_id is the one to match"
	if r.side.role == "target" {
		expect = "INFO server on target.url " + hostPort(cfg.Target.URL) + ": its run_id is the one to match"
		if cfg.Target.Kind == "sentinel" {
			expect = fmt.Sprintf("SENTINEL GET-MASTER-ADDR-BY-NAME %s, then INFO server on that primary: its run_id is the one to match", cfg.Target.Sentinel.Master)
		}
	}
	return []string{
		fmt.Sprintf("Route53 ListResourceRecordSets HostedZoneId=%s StartRecordName=%s: read the CNAME", cfg.DNS.HostedZoneID, cfg.DNS.Record),
		fmt.Sprintf("refuse unless it points at %s", joinOr(r.expected)),
		fmt.Sprintf("Route53 ChangeResourceRecordSets HostedZoneId=%s: DELETE the CNAME as read + CREATE %s CNAME %s TTL %d, in one batch (Route53 refuses it if the record changed since it was read)", cfg.DNS.HostedZoneID, cfg.DNS.Record, r.to, cfg.DNS.TTL),
		fmt.Sprintf("Route53 GetChange every %s until INSYNC (at most %s)", s.Timing.poll(), s.Timing.insync()),
		expect,
		fmt.Sprintf("resolve %s via %s and connect to each address with the %s's credentials: INFO server run_id must match (retrying for up to %s while resolvers catch up)", cfg.DNS.Record, resolverName(cfg.DNS.Resolver), r.side.role, s.Timing.proof()),
	}
}

// Run changes the record when it holds an expected value, waits for
// INSYNC and proves the result.
func (s *Swap) Run(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	cfg := env.Config
	r := s.route(env)
	res := runbook.Result{Outputs: map[string]string{}}
	z, cur, err := readRecord(ctx, cfg)
	if err != nil {
		return res, err
	}
	out := res.Outputs
	out[runbook.SwapPrevious.Name] = firstSet(r.previous, canonical(cur.Value))
	out[runbook.SwapValue.Name] = r.to
	out["ttl"] = strconv.FormatInt(cfg.DNS.TTL, 10)
	res.Evidence = append(res.Evidence, runbook.Evidence{Name: "record before", Value: fmt.Sprintf("%s CNAME %s TTL %d", cfg.DNS.Record, canonical(cur.Value), cur.TTL),
		Want: joinOr(append(slices.Clone(r.expected), r.to)), OK: true})
	switch {
	case sameName(cur.Value, r.to):
		env.Logf("%s already points at %s: no change made", cfg.DNS.Record, r.to)
		out["change_id"] = env.Fact(runbook.ChangeID(r.step))
	case !matchesAny(cur.Value, r.expected):
		return res, fmt.Errorf("refusing to change %s: it points at %s, not %s as expected; someone changed it outside this runbook: check the zone, then correct the record or the config and re-run", cfg.DNS.Record, canonical(cur.Value), joinOr(r.expected))
	default:
		env.Logf("Route53: %s CNAME %s -> %s (TTL %d s)", cfg.DNS.Record, canonical(cur.Value), r.to, cfg.DNS.TTL)
		id, err := z.replace(ctx, cur, r.to, cfg.DNS.TTL, fmt.Sprintf("cutover %s by %s", r.step, env.Operator))
		if err != nil {
			return res, err
		}
		out["change_id"] = id
		start := time.Now()
		env.Logf("Route53 change %s submitted; waiting for INSYNC", id)
		if err := z.waitInsync(ctx, id, s.Timing.insync(), s.Timing.poll(), report); err != nil {
			return res, err
		}
		out["insync_at"] = time.Now().UTC().Format(time.RFC3339)
		env.Logf("Route53 change %s is INSYNC after %s", id, time.Since(start).Round(100*time.Millisecond))
	}
	report(runbook.Progress{Message: "proving where " + cfg.DNS.Record + " leads"})
	p, err := prove(ctx, cfg, r.side, s.Timing.proof(), env.Logf)
	if err != nil {
		return res, err
	}
	return s.result(res, cfg, r, p), nil
}

func (s *Swap) result(res runbook.Result, cfg *runbook.Config, r route, p proof) runbook.Result {
	res.Evidence = append(res.Evidence, p.evidence(cfg, r.side)...)
	res.OK = p.OK
	res.Outputs["run_id"] = p.Want
	res.Outputs["addr"] = p.Addr
	if p.OK {
		res.Summary = fmt.Sprintf("%s -> %s; clients reach the %s %s (run_id %s)", cfg.DNS.Record, r.to, r.side.role, p.Addr, short(p.Want))
	} else {
		res.Summary = fmt.Sprintf("%s -> %s, but clients do not reach the %s: %s", cfg.DNS.Record, r.to, r.side.role, p.Problem)
	}
	return res
}

// Verify re-reads the record and re-proves where it leads, changing nothing.
func (s *Swap) Verify(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	cfg := env.Config
	r := s.route(env)
	_, cur, err := readRecord(ctx, cfg)
	if err != nil {
		return runbook.Result{}, err
	}
	res := runbook.Result{Outputs: map[string]string{}}
	rec := runbook.Evidence{Name: "record", Value: fmt.Sprintf("%s CNAME %s TTL %d", cfg.DNS.Record, canonical(cur.Value), cur.TTL), Want: r.to, OK: sameName(cur.Value, r.to)}
	res.Evidence = append(res.Evidence, rec)
	if !rec.OK {
		res.Summary = fmt.Sprintf("%s points at %s, not %s", cfg.DNS.Record, canonical(cur.Value), r.to)
		return res, nil
	}
	p, err := prove(ctx, cfg, r.side, 0, env.Logf)
	if err != nil {
		return res, err
	}
	return s.result(res, cfg, r, p), nil
}

// ttlWarning says when swapping now is early: resolvers may still hold the
// source's answer for up to the old TTL after it was lowered.
func ttlWarning(facts runbook.Facts, source string, now time.Time) string {
	at, ok := facts[runbook.DNSSafeAt]
	if !ok {
		return "build.dns has not recorded when the old TTL elapses: resolvers may keep answering " + source + " for up to the record's old TTL after the swap"
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil || !now.Before(t) {
		return ""
	}
	return fmt.Sprintf("the old TTL (%s s) has not elapsed yet: resolvers may keep answering %s until %s (in %s); swapping now leaves those clients on the source",
		facts[runbook.DNSOldTTL], source, t.Local().Format("15:04:05"), t.Sub(now).Round(time.Second))
}

func matchesAny(v string, names []string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return sameName(v, n) })
}

func joinOr(names []string) string {
	var out []string
	for _, n := range names {
		if !matchesAny(n, out) {
			out = append(out, n)
		}
	}
	s := ""
	for i, n := range out {
		if i > 0 {
			s += " or "
		}
		s += n
	}
	return s
}

func firstSet(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
