package probes

import (
	"context"
	"fmt"
	"net"

	"github.com/cutover/cutover/runbook"
)

// minSentinels is the smallest deployment that survives losing one
// sentinel and still has a majority.
const minSentinels = 3

var sentinelCheck = check{
	summary: "Ask every sentinel: CKQUORUM, how many sentinels it knows, and which server is the primary; that server must be the one target.url reaches.",
	calls: func(cfg *runbook.Config) []string {
		m := cfg.Target.Sentinel.Master
		var calls []string
		for _, a := range cfg.Target.Sentinel.Addrs {
			calls = append(calls, fmt.Sprintf("%s: SENTINEL CKQUORUM %s; SENTINEL SENTINELS %s; SENTINEL GET-MASTER-ADDR-BY-NAME %s", a, m, m, m))
		}
		return append(calls, "INFO server on the named primary and on "+cfg.Target.URL+" (compare run_id)")
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		t := cfg.Target
		var p proof
		if len(t.Sentinel.Addrs) == 0 {
			p.row("target.sentinel.addrs", "empty", "the sentinels' host:port", false)
			return p.done("")
		}
		primary, known := "", 0
		for _, a := range t.Sentinel.Addrs {
			addr, n := p.askOneSentinel(ctx, t, a)
			if addr != "" && primary == "" {
				primary = addr
			} else if addr != "" && addr != primary {
				p.row("sentinel "+a+" primary", addr, primary+" (as the others say)", false)
			}
			known = max(known, n)
		}
		p.row("sentinels", fmt.Sprintf("%d know %s", known, t.Sentinel.Master), fmt.Sprintf("at least %d", minSentinels), known >= minSentinels)
		if primary == "" {
			return p.done("")
		}
		p.samePrimary(ctx, cfg, primary)
		return p.done(fmt.Sprintf("quorum reachable on every sentinel; %d sentinels; %s is the primary", known, primary))
	},
}

// askOneSentinel records one sentinel's CKQUORUM and returns the primary
// it names and how many sentinels (itself included) it knows.
func (p *proof) askOneSentinel(ctx context.Context, t runbook.Target, addr string) (string, int) {
	c := SentinelClient(t, addr, "check", PoolSize(1))
	defer c.Close()
	q, err := c.CkQuorum(ctx, t.Sentinel.Master).Result()
	if err != nil {
		p.fail("sentinel "+addr+" CKQUORUM", err, "OK")
		return "", 0
	}
	p.row("sentinel "+addr+" CKQUORUM", q, "OK", true)
	others, err := c.Sentinels(ctx, t.Sentinel.Master).Result()
	if err != nil {
		p.fail("sentinel "+addr+" SENTINELS", err, "the other sentinels")
		return "", 0
	}
	hp, err := c.GetMasterAddrByName(ctx, t.Sentinel.Master).Result()
	switch {
	case err != nil:
		p.fail("sentinel "+addr+" GET-MASTER-ADDR-BY-NAME", err, "host and port")
		return "", len(others) + 1
	case len(hp) != 2:
		p.row("sentinel "+addr+" GET-MASTER-ADDR-BY-NAME", fmt.Sprint(hp), "host and port", false)
		return "", len(others) + 1
	}
	return net.JoinHostPort(hp[0], hp[1]), len(others) + 1
}

// samePrimary compares the run_id of the server the sentinels name with
// the one target.url reaches.
func (p *proof) samePrimary(ctx context.Context, cfg *runbook.Config, primary string) {
	named := targetClient(cfg, "check", Addr(primary))
	defer named.Close()
	viaURL := targetClient(cfg, "check")
	defer viaURL.Close()
	a, err := infoOf(ctx, named, "server")
	if err != nil {
		p.fail("primary "+primary, err, "INFO server answers")
		return
	}
	b, err := infoOf(ctx, viaURL, "server")
	if err != nil {
		p.fail("target.url "+hostPort(cfg.Target.URL), err, "INFO server answers")
		return
	}
	p.row("master name resolves to", fmt.Sprintf("%s (run_id %s)", primary, short(a.RunID)),
		fmt.Sprintf("the server target.url reaches (run_id %s)", short(b.RunID)), a.RunID == b.RunID && a.RunID != "")
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
