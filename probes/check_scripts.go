package probes

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

var scriptsCheck = check{
	summary: "Compare the function libraries of the source and the target (FUNCTION LIST), and count the source's EVALSHA calls, whose scripts are not migrated.",
	calls: func(cfg *runbook.Config) []string {
		return []string{"INFO commandstats and FUNCTION LIST on " + cfg.Source.URL, "FUNCTION LIST on " + cfg.Target.URL}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		sc := sourceClient(cfg, "check")
		defer sc.Close()
		tc := targetClient(cfg, "check")
		defer tc.Close()
		in, err := infoOf(ctx, sc, "commandstats")
		if err != nil {
			p.fail("INFO commandstats on the source", err, "an answer")
			return p.done("")
		}
		calls := callsByCommand(in)
		sha := calls["evalsha"] + calls["evalsha_ro"]
		p.row("EVALSHA calls on the source", fmt.Sprintf("%d (evalsha %d, evalsha_ro %d; eval %d)", sha, calls["evalsha"], calls["evalsha_ro"], calls["eval"]+calls["eval_ro"]), "", true)
		if sha > 0 {
			p.warn("the script cache is not migrated: after the swap every EVALSHA answers NOSCRIPT until its script is loaded on the target. Clients that fall back to EVAL recover on their own; for the others run SCRIPT LOAD <script> on the target (and after each restart or failover there), or move the scripts to functions (FUNCTION LOAD)")
		}
		want, err := functionLibraries(ctx, sc)
		if err != nil {
			p.row("functions on the source", "none: FUNCTION LIST "+Explain(err)+" (an engine before 7.0 has no functions)", "", true)
			return p.done(scriptsSummary(sha, nil))
		}
		if len(want) == 0 {
			p.row("functions on the source", "none", "", true)
			return p.done(scriptsSummary(sha, nil))
		}
		got, err := functionLibraries(ctx, tc)
		if err != nil {
			p.fail("FUNCTION LIST on the target", err, "an answer")
			return p.done("")
		}
		var missing []string
		for _, lib := range want {
			if !slices.Contains(got, lib) {
				missing = append(missing, lib)
			}
		}
		p.row("function libraries missing on the target", orNone(missing), "none of the source's "+strings.Join(want, ", "), len(missing) == 0)
		p.fix("copy them: redis-cli -u %s --raw FUNCTION DUMP | head -c -1 | redis-cli -u %s -x FUNCTION RESTORE (add REPLACE to overwrite libraries of the same name)", cfg.Source.URL, cfg.Target.URL)
		return p.done(scriptsSummary(sha, want))
	},
}

func scriptsSummary(evalsha int64, libs []string) string {
	s := "no function libraries on the source"
	if len(libs) > 0 {
		s = "the target has every function library of the source (" + strings.Join(libs, ", ") + ")"
	}
	if evalsha > 0 {
		s += fmt.Sprintf("; %d EVALSHA calls: load their scripts on the target (NOSCRIPT otherwise)", evalsha)
	}
	return s
}

// functionLibraries are the library names FUNCTION LIST reports, sorted.
func functionLibraries(ctx context.Context, c *redis.Client) ([]string, error) {
	libs, err := c.FunctionList(ctx, redis.FunctionListQuery{}).Result()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(libs))
	for i, l := range libs {
		names[i] = l.Name
	}
	slices.Sort(names)
	return names, nil
}
