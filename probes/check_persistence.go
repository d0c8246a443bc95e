package probes

import (
	"context"
	"fmt"

	"github.com/cutover/cutover/runbook"
)

var persistenceCheck = check{
	summary: "Read the target's persistence settings and the outcome of its last save and AOF write.",
	calls: func(cfg *runbook.Config) []string {
		return []string{"INFO persistence on " + cfg.Target.URL, "CONFIG GET save on " + cfg.Target.URL}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		c := targetClient(cfg, "check")
		defer c.Close()
		in, err := infoOf(ctx, c, "persistence")
		if err != nil {
			p.fail("INFO persistence", err, "an answer")
			return p.done("")
		}
		save := "unknown"
		conf, err := c.ConfigGet(ctx, "save").Result()
		if err != nil {
			p.warn("CONFIG GET save: %s; judging from INFO only", Explain(err))
		} else {
			save = conf["save"]
		}
		aof := in.AOFEnabled
		what := describePersistence(aof, save)
		p.row("persistence", what, "AOF on or RDB save rules set", aof || save != "" && save != "unknown")
		p.row("rdb_last_bgsave_status", in.RDBLastBgsaveStatus, "ok", in.RDBLastBgsaveStatus == "ok")
		if aof {
			p.row("aof_last_write_status", in.AOFLastWriteStatus, "ok", in.AOFLastWriteStatus == "ok")
			st := in.Raw["aof_last_bgrewrite_status"]
			p.row("aof_last_bgrewrite_status", st, "ok", st == "ok")
		}
		p.fact("appendonly", fmt.Sprint(aof))
		p.fact("save", save)
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
