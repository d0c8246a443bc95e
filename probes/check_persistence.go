package probes

import (
	"context"
	"fmt"

	"github.com/cutover/cutover/runbook"
)

var persistenceCheck = check{
	summary: "Read the target's persistence settings and the outcome of its last save and AOF write.",
	calls: func(cfg *runbook.Config) []string {
		return []string{"INFO persistence and CONFIG GET save on " + cfg.Target.URL + " (on every primary of a cluster)"}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		nodes, err := targetNodes(ctx, cfg, "check")
		if err != nil {
			p.fail("the target's primaries", err, "found")
			return p.done("")
		}
		defer nodes.Close()
		var what string
		for i, c := range nodes {
			at := nodes.label(c)
			in, err := infoOf(ctx, c, "persistence")
			if err != nil {
				p.fail(at+"INFO persistence", err, "an answer")
				return p.done("")
			}
			save := "unknown"
			conf, err := c.ConfigGet(ctx, "save").Result()
			if err != nil {
				p.warn("%sCONFIG GET save: %s; judging from INFO only", at, Explain(err))
			} else {
				save = conf["save"]
			}
			aof := in.AOFEnabled
			w := describePersistence(aof, save)
			p.row(at+"persistence", w, "AOF on or RDB save rules set", aof || save != "" && save != "unknown")
			p.row(at+"rdb_last_bgsave_status", in.RDBLastBgsaveStatus, "ok", in.RDBLastBgsaveStatus == "ok")
			if aof {
				p.row(at+"aof_last_write_status", in.AOFLastWriteStatus, "ok", in.AOFLastWriteStatus == "ok")
				st := in.Raw["aof_last_bgrewrite_status"]
				p.row(at+"aof_last_bgrewrite_status", st, "ok", st == "ok")
			}
			if i == 0 {
				what = w
				p.fact("appendonly", fmt.Sprint(aof))
				p.fact("save", save)
			}
		}
		if len(nodes) > 1 {
			what = fmt.Sprintf("%s (first of %d primaries)", what, len(nodes))
		}
		return p.done(what)
	},
}

func describePersistence(aof bool, save string) string {
	switch {
	case aof && save != "" && save != "unknown":
		return "AOF on, RDB save rules " + save
	case aof:
		return "AOF on"
	case save == "unknown":
		return "AOF off, save rules unknown (CONFIG refused)"
	case save != "":
		return "RDB save rules " + save + ", AOF off"
	}
	return "AOF off and no save rules: a restart loses every key"
}
