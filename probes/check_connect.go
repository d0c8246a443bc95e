package probes

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/cutover/cutover/runbook"
)

var connectCheck = check{
	summary: "Connect as a client does: resolve dns.record, connect to what it points at with the target's credentials, PING, and check the server's run_id is the target primary's.",
	calls: func(cfg *runbook.Config) []string {
		res := "the system resolver"
		if cfg.DNS.Resolver != "" {
			res = cfg.DNS.Resolver
		}
		return []string{
			fmt.Sprintf("resolve %s through %s", cfg.DNS.Record, res),
			"PING and INFO server on the resolved address, with the target's credentials",
			"INFO server on the target's primary (compare run_id)",
			"INFO errorstats on the target's primary (auth errors)",
		}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		if cfg.DNS.Record == "" {
			p.row("dns.record", "not set", "the name clients use", false)
			return p.done("")
		}
		res, err := Resolve(ctx, cfg.DNS, cfg.DNS.Record)
		if err != nil {
			p.fail("resolve "+cfg.DNS.Record, err, "the target ("+cfg.DNS.TargetValue+")")
			return p.done("")
		}
		p.row("resolve "+cfg.DNS.Record, fmt.Sprintf("%s -> %s", res.Canonical, strings.Join(res.Addrs, ", ")),
			"CNAME to "+cfg.DNS.TargetValue, SameName(res.Canonical, cfg.DNS.TargetValue))
		_, port, _ := net.SplitHostPort(hostPort(cfg.Target.URL))
		via := net.JoinHostPort(res.Addrs[0], port)
		c := targetClient(cfg, "check", Addr(via))
		defer c.Close()
		if err := c.Ping(ctx).Err(); err != nil {
			p.fail("PING through "+cfg.DNS.Record, err, "PONG with auth")
			return p.done("")
		}
		p.row("PING through "+cfg.DNS.Record, "PONG from "+via, "PONG with auth", true)
		got, err := infoOf(ctx, c, "server")
		if err != nil {
			p.fail("INFO server through "+cfg.DNS.Record, err, "an answer")
			return p.done("")
		}
		pc, addr, err := primaryClient(ctx, cfg, "check")
		if err != nil {
			p.row("target primary", err.Error(), "found", false)
			return p.done("")
		}
		defer pc.Close()
		want, err := infoOf(ctx, pc, "server")
		if err != nil {
			p.fail("INFO server on "+addr, err, "an answer")
			return p.done("")
		}
		p.row("server behind the name", "run_id "+short(got.RunID), fmt.Sprintf("the target primary %s (run_id %s)", addr, short(want.RunID)),
			got.RunID != "" && got.RunID == want.RunID)
		if es, err := infoOf(ctx, pc, "errorstats"); err == nil {
			if n := atoi(es.Raw["errorstat_NOAUTH"]) + atoi(es.Raw["errorstat_WRONGPASS"]); n > 0 {
				p.warn("the target has refused %d connections for auth (NOAUTH/WRONGPASS since it started): check the clients' credentials", n)
			}
		}
		return p.done(fmt.Sprintf("%s leads to the target primary %s and accepts the credentials", cfg.DNS.Record, addr))
	},
}
