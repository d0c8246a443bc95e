package probes

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cutover/cutover/runbook"
)

// stragglersPoll is how often the source's clients are listed.
const stragglersPoll = time.Second

var stragglersCheck = check{
	summary: "List the source's clients every second (CLIENT LIST, less cutover's own cutover-* connections and replication links) until it has had no application connection for thresholds.stragglers_quiet; give up after thresholds.stragglers_timeout and name every connection still there.",
	calls: func(cfg *runbook.Config) []string {
		if cfg.Source.Serverless() {
			return []string{"none: " + serverlessNoClientList}
		}
		th := cfg.Thresholds
		return []string{fmt.Sprintf("CLIENT LIST on %s (on every node of a cluster-mode source), once a second, until none is left for %s (at most %s)", cfg.Source.URL, th.StragglersQuiet.Duration, th.StragglersTimeout.Duration)}
	},
	run: func(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) runbook.Result {
		th := env.Config.Thresholds
		var p proof
		if env.Config.Source.Serverless() {
			p.skipped("application connections on the source", serverlessNoClientList+", so cutover cannot tell applications' connections from its own")
			p.warn("watch the serverless cache's CurrConnections in CloudWatch: the applications have left when it is down to the connections cutover holds")
			return p.done("not checked: " + serverlessNoClientList)
		}
		// Applications may hold connections to any node of a cluster-mode source.
		nodes, err := openNodeSet(ctx, env.Config, env.Config.Source, sourceScope(env, everyNode), "stragglers")
		if err != nil {
			p.fail("the source's nodes", err, "found")
			return p.done("")
		}
		defer nodes.Close()
		quiet, limit := th.StragglersQuiet.Duration, th.StragglersTimeout.Duration
		start := time.Now()
		var emptySince time.Time
		seen := map[string]client{}
		var apps []client
		for {
			apps, err = nodes.appClients(ctx)
			if err != nil {
				p.fail("CLIENT LIST on the source", err, "an answer")
				return p.done("")
			}
			now := time.Now()
			current := map[string]client{}
			for _, a := range apps {
				current[a.id] = a
				if _, ok := seen[a.id]; !ok {
					env.Logf("still on the source: %s", a)
				}
			}
			for id, a := range seen {
				if _, ok := current[id]; !ok {
					env.Logf("left the source: %s", a.addr)
				}
			}
			seen = current
			if len(apps) > 0 {
				emptySince = time.Time{}
			} else if emptySince.IsZero() {
				emptySince = now
			}
			held := time.Duration(0)
			if !emptySince.IsZero() {
				held = now.Sub(emptySince)
			}
			report(runbook.Progress{Done: int64(held.Seconds()), Total: int64(quiet.Seconds()), Unit: "s", Message: stragglerLine(apps)})
			if (!emptySince.IsZero() && held >= quiet) || now.Sub(start) >= limit {
				p.row("application connections on the source", fmt.Sprintf("%d (none for %s)", len(apps), held.Round(time.Second)),
					fmt.Sprintf("none for %s", quiet), held >= quiet)
				break
			}
			select {
			case <-ctx.Done():
				p.fail("application connections on the source", ctx.Err(), fmt.Sprintf("none for %s", quiet))
				return p.done("")
			case <-time.After(stragglersPoll):
			}
		}
		for _, a := range apps {
			p.row("connection from "+a.addr, a.details(), "gone", false)
		}
		if len(apps) > 0 {
			p.failure = fmt.Sprintf("%d application connection(s) still on the source after %s: %s; find those hosts and restart them (a cached DNS answer, or a pool that never reconnects, keeps them on the old address)",
				len(apps), limit, stragglerLine(apps))
		}
		return p.done(fmt.Sprintf("no application connection on the source for %s", quiet))
	},
}

// appClients lists the application connections on every node; a
// connection is named by its node and id, as ids repeat across nodes.
func (s nodeSet) appClients(ctx context.Context) ([]client, error) {
	var out []client
	for _, c := range s {
		list, err := c.ClientList(ctx).Result()
		if err != nil {
			if len(s) > 1 {
				err = fmt.Errorf("%s: %w", c.Options().Addr, err)
			}
			return nil, err
		}
		for _, a := range appClients(list) {
			if len(s) > 1 {
				a.id = c.Options().Addr + "/" + a.id
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// client is one line of CLIENT LIST.
type client struct {
	id, addr, name, flags, cmd string
	libName, libVer            string // Redis 7.2+; empty before
	age, idle                  time.Duration
}

func (c client) String() string { return c.addr + " (" + c.details() + ")" }

func (c client) details() string {
	lib := "-"
	if c.libName != "" {
		lib = strings.TrimSpace(c.libName + " " + c.libVer)
	}
	name := c.name
	if name == "" {
		name = "-"
	}
	return fmt.Sprintf("name %s, lib %s, age %s, idle %s, last %s", name, lib, c.age, c.idle, c.cmd)
}

// appClients parses CLIENT LIST and keeps the application connections:
// not cutover's own (named cutover-*), not replicas or the link to a
// primary.
func appClients(list string) []client {
	var out []client
	for _, line := range strings.Split(list, "\n") {
		f := map[string]string{}
		for _, kv := range strings.Fields(line) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				f[k] = v
			}
		}
		if f["addr"] == "" || strings.HasPrefix(f["name"], "cutover-") || strings.ContainsAny(f["flags"], "SM") {
			continue
		}
		out = append(out, client{id: f["id"], addr: f["addr"], name: f["name"], flags: f["flags"], cmd: f["cmd"],
			libName: f["lib-name"], libVer: f["lib-ver"], age: secondsField(f["age"]), idle: secondsField(f["idle"])})
	}
	return out
}

func secondsField(s string) time.Duration {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Duration(n) * time.Second
}

// stragglerLine lists the first few connections on one line.
func stragglerLine(apps []client) string {
	if len(apps) == 0 {
		return "no application connection on the source"
	}
	const show = 3
	parts := make([]string, 0, show+1)
	for i, a := range apps {
		if i == show {
			parts = append(parts, fmt.Sprintf("and %d more", len(apps)-show))
			break
		}
		parts = append(parts, a.String())
	}
	return fmt.Sprintf("%d on the source: %s", len(apps), strings.Join(parts, "; "))
}
