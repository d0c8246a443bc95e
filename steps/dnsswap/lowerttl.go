package dnsswap

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/cutover/cutover/runbook"
)

// LowerTTL is build.dns: it checks that dns.record is a CNAME pointing at
// the source and lowers its TTL to dns.ttl, recording when the old TTL has
// elapsed everywhere (safe_at) so the swap can warn when it is early.
type LowerTTL struct {
	Timing Timing
}

// Plan reads the record and says what will change.
func (l *LowerTTL) Plan(ctx context.Context, env *runbook.Env) (runbook.Plan, error) {
	cfg := env.Config
	z, err := newZone(ctx, cfg)
	if err != nil {
		return runbook.Plan{}, err
	}
	p := runbook.Plan{Resource: cfg.DNS.Record,
		Summary: fmt.Sprintf("Check %s points at %s and lower its TTL to %d s", cfg.DNS.Record, cfg.DNS.SourceValue, cfg.DNS.TTL)}
	if cur, err := z.read(ctx, cfg.DNS.Record); err != nil {
		p.Warnings = append(p.Warnings, "the current record could not be read: "+err.Error())
	} else {
		p.Summary += fmt.Sprintf(" (now %s, TTL %d s)", canonical(cur.Value), cur.TTL)
		if !sameName(cur.Value, cfg.DNS.SourceValue) {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s points at %s, not dns.source_value %s: the run will refuse", cfg.DNS.Record, canonical(cur.Value), cfg.DNS.SourceValue))
		} else if cur.TTL <= cfg.DNS.TTL {
			p.Warnings = append(p.Warnings, fmt.Sprintf("the TTL is already %d s: nothing will change", cur.TTL))
		}
	}
	p.Calls = []string{
		fmt.Sprintf("Route53 ListResourceRecordSets HostedZoneId=%s StartRecordName=%s: read the CNAME", cfg.DNS.HostedZoneID, cfg.DNS.Record),
		fmt.Sprintf("refuse unless it points at %s", cfg.DNS.SourceValue),
		fmt.Sprintf("Route53 ChangeResourceRecordSets HostedZoneId=%s: DELETE the CNAME as read + CREATE %s CNAME %s TTL %d, in one batch (only when the TTL is above %d)", cfg.DNS.HostedZoneID, cfg.DNS.Record, cfg.DNS.SourceValue, cfg.DNS.TTL, cfg.DNS.TTL),
		fmt.Sprintf("Route53 GetChange every %s until INSYNC (at most %s)", l.Timing.poll(), l.Timing.insync()),
		fmt.Sprintf("resolve %s via %s: it must lead to %s", cfg.DNS.Record, resolverName(cfg.DNS.Resolver), cfg.DNS.SourceValue),
	}
	return p, nil
}

// Run lowers the TTL when it is above dns.ttl.
func (l *LowerTTL) Run(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	cfg := env.Config
	res := runbook.Result{Outputs: map[string]string{}}
	z, cur, err := readRecord(ctx, cfg)
	if err != nil {
		return res, err
	}
	if !sameName(cur.Value, cfg.DNS.SourceValue) {
		return res, fmt.Errorf("%s points at %s, not dns.source_value %s: fix dns.source_value, or the record, before lowering its TTL", cfg.DNS.Record, canonical(cur.Value), cfg.DNS.SourceValue)
	}
	out := res.Outputs
	out["value"] = canonical(cur.Value)
	out[runbook.DNSOldTTL.Name] = strconv.FormatInt(cur.TTL, 10)
	out[runbook.DNSTTL.Name] = strconv.FormatInt(min(cur.TTL, cfg.DNS.TTL), 10)
	if cur.TTL > cfg.DNS.TTL {
		env.Logf("Route53: %s TTL %d s -> %d s (still %s)", cfg.DNS.Record, cur.TTL, cfg.DNS.TTL, canonical(cur.Value))
		id, err := z.replace(ctx, cur, cur.Value, cfg.DNS.TTL, "cutover build.dns by "+env.Operator)
		if err != nil {
			return res, err
		}
		out["change_id"] = id
		if err := z.waitInsync(ctx, id, l.Timing.insync(), l.Timing.poll(), report); err != nil {
			return res, err
		}
		env.Logf("Route53 change %s is INSYNC", id)
	} else {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the TTL was already %d s; if it was lowered recently, resolvers may hold answers for up to the TTL it had before", cur.TTL))
	}
	// Counted from INSYNC: from then on the authoritative servers hand out
	// the short TTL, and answers cached before expire within the old one.
	now := time.Now().UTC()
	safe := now.Add(time.Duration(cur.TTL) * time.Second)
	out["lowered_at"] = now.Format(time.RFC3339)
	out[runbook.DNSSafeAt.Name] = safe.Format(time.RFC3339)
	res.Evidence = append(res.Evidence,
		runbook.Evidence{Name: "record", Value: fmt.Sprintf("%s CNAME %s", cfg.DNS.Record, canonical(cur.Value)), Want: cfg.DNS.SourceValue, OK: true},
		runbook.Evidence{Name: "TTL", Value: out["ttl"] + " s (was " + out["old_ttl"] + " s)", Want: fmt.Sprintf("<= %d s", cfg.DNS.TTL), OK: true},
		runbook.Evidence{Name: "safe to swap from", Value: safe.Local().Format("15:04:05"), OK: true},
	)
	res.Evidence = append(res.Evidence, l.resolves(ctx, cfg))
	res.OK = res.Evidence[len(res.Evidence)-1].OK
	res.Summary = fmt.Sprintf("%s -> %s, TTL %s s (was %s s); safe to swap from %s", cfg.DNS.Record, canonical(cur.Value), out["ttl"], out["old_ttl"], safe.Local().Format("15:04:05"))
	if !res.OK {
		res.Summary = fmt.Sprintf("%s is set in Route53, but %s", cfg.DNS.Record, res.Evidence[len(res.Evidence)-1].Value)
	}
	return res, nil
}

// resolves checks that clients resolving the name land on the source.
func (l *LowerTTL) resolves(ctx context.Context, cfg *runbook.Config) runbook.Evidence {
	ev := runbook.Evidence{Name: "resolves (via " + resolverName(cfg.DNS.Resolver) + ")", Want: cfg.DNS.SourceValue}
	got, err := lookupCNAME(ctx, cfg.DNS, cfg.DNS.Record)
	if err != nil {
		ev.Value = err.Error()
		return ev
	}
	ev.Value = cfg.DNS.Record + " -> " + canonical(got)
	ev.OK = sameName(got, cfg.DNS.SourceValue)
	return ev
}

// Verify re-reads the record: it must point at the source with the low TTL.
func (l *LowerTTL) Verify(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	cfg := env.Config
	_, cur, err := readRecord(ctx, cfg)
	if err != nil {
		return runbook.Result{}, err
	}
	res := runbook.Result{Evidence: []runbook.Evidence{
		{Name: "record", Value: fmt.Sprintf("%s CNAME %s", cfg.DNS.Record, canonical(cur.Value)), Want: cfg.DNS.SourceValue, OK: sameName(cur.Value, cfg.DNS.SourceValue)},
		{Name: "TTL", Value: fmt.Sprintf("%d s", cur.TTL), Want: fmt.Sprintf("<= %d s", cfg.DNS.TTL), OK: cur.TTL <= cfg.DNS.TTL},
		l.resolves(ctx, cfg),
	}}
	res.OK = true
	for _, e := range res.Evidence {
		res.OK = res.OK && e.OK
	}
	res.Summary = fmt.Sprintf("%s -> %s, TTL %d s", cfg.DNS.Record, canonical(cur.Value), cur.TTL)
	if w := ttlWarning(env.State.Facts, cfg.DNS.SourceValue, time.Now()); res.OK && w != "" {
		res.Warnings = append(res.Warnings, w)
	}
	return res, nil
}
