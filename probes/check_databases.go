package probes

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cutover/cutover/runbook"
)

var databasesCheck = check{
	summary: "Compare the highest db index holding keys on the source with the number of databases the target has (a cluster target has only db0).",
	calls: func(cfg *runbook.Config) []string {
		calls := []string{"INFO keyspace on " + cfg.Source.URL}
		if cfg.Target.Kind != "cluster" {
			calls = append(calls, "CONFIG GET databases on "+cfg.Target.URL)
		}
		return calls
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		sc := sourceClient(cfg, "check")
		defer sc.Close()
		counts, err := KeyCounts(ctx, sc)
		if err != nil {
			p.fail("INFO keyspace on the source", err, "an answer")
			return p.done("")
		}
		highest, dbs := -1, 0
		for db, n := range counts {
			if n > 0 {
				highest, dbs = max(highest, db), dbs+1
			}
		}
		used := "none: the source holds no keys"
		if highest >= 0 {
			used = fmt.Sprintf("db%d (%d keys there; %d db(s) in use)", highest, counts[highest], dbs)
		}
		if cfg.Target.Kind == "cluster" {
			p.row("highest db in use on the source", used, "db0 only (a cluster has one database)", highest <= 0)
			p.fix("move the keys of db1 and above into db0 (their names must not collide) and point the application at db0, or use a standalone or sentinel target")
			return p.done(used + "; a cluster target takes db0")
		}
		tc := targetClient(cfg, "check")
		defer tc.Close()
		n, err := configInt(ctx, tc, "databases")
		if err != nil {
			p.fail("CONFIG GET databases on the target", err, "an answer")
			return p.done("")
		}
		p.row("highest db in use on the source", used, "", true)
		p.row("databases on the target", strconv.FormatInt(n, 10), fmt.Sprintf("more than %d (db0..db%d)", highest, highest), int64(highest) < n)
		p.fix("set `databases %d` (or more) in the target's redis.conf and restart it: databases cannot be changed with CONFIG SET", highest+1)
		return p.done(fmt.Sprintf("%s; the target has %d databases", used, n))
	},
}
