package probes

import (
	"context"
	"fmt"

	"github.com/cutover/cutover/runbook"
)

var versionCheck = check{
	summary: "Compare the engines: can the target load the source's RDB version natively, or does the load rebuild values with ordinary commands?",
	calls: func(cfg *runbook.Config) []string {
		return []string{"INFO server on " + cfg.Target.URL, "INFO server on " + cfg.Source.URL}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		tc := targetClient(cfg, "check")
		defer tc.Close()
		tgt, err := infoOf(ctx, tc, "server")
		if err != nil {
			p.fail("target engine", err, "INFO server answers")
			return p.done("")
		}
		sc := sourceClient(cfg, "check")
		defer sc.Close()
		src, err := infoOf(ctx, sc, "server")
		if err != nil {
			var ok bool
			if src, ok = discoveredEngine(env.State.Facts); !ok {
				p.fail("source engine", err, "INFO server answers (or inventory.discover has run)")
				return p.done("")
			}
			p.warn("source INFO server: %s; using the version inventory.discover recorded", Explain(err))
		}
		sv, sok := RDBVersion(src.RedisVersion, src.ValkeyVersion)
		tv, tok := RDBVersion(tgt.RedisVersion, tgt.ValkeyVersion)
		p.row("source engine", fmt.Sprintf("%s, RDB %d", engineName(src), sv), "a known version", sok)
		p.row("target engine", fmt.Sprintf("%s, RDB %d", engineName(tgt), tv), "a known version", tok)
		if !sok || !tok {
			return p.done("")
		}
		how := "native: RESTORE of the source's payloads"
		if !NativeLoad(sv, tv) {
			how = "native-command fallback: values are rebuilt with ordinary commands"
			p.warn("the target cannot RESTORE RDB %d payloads; the load decodes each value and rebuilds it with commands (slower; check its warnings)", sv)
		}
		p.row("load method", how, "native or native-command fallback", true)
		p.fact("source_rdb", fmt.Sprint(sv))
		p.fact("target_rdb", fmt.Sprint(tv))
		p.fact("native", fmt.Sprint(NativeLoad(sv, tv)))
		return p.done(fmt.Sprintf("%s -> %s: %s", engineName(src), engineName(tgt), how))
	},
}

func engineName(in Info) string {
	if in.ValkeyVersion != "" {
		return "Valkey " + in.ValkeyVersion
	}
	return "Redis " + in.RedisVersion
}

// discoveredEngine is the source engine as inventory.discover recorded it.
func discoveredEngine(facts runbook.Facts) (Info, bool) {
	v := facts[runbook.DiscoverVersion]
	switch facts[runbook.DiscoverEngine] {
	case "redis":
		return Info{RedisVersion: v}, v != ""
	case "valkey":
		return Info{ValkeyVersion: v}, v != ""
	}
	return Info{}, false
}
