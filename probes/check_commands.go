package probes

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

var commandsCheck = check{
	summary: "Find commands renamed or disabled (rename-command) on the target or the source, and every command the application calls on the source (INFO commandstats) that the target does not know.",
	calls: func(cfg *runbook.Config) []string {
		return []string{"INFO commandstats, COMMAND LIST, COMMAND COUNT and COMMAND INFO on " + cfg.Source.URL,
			"COMMAND COUNT and COMMAND INFO <the source's commands> on " + cfg.Target.URL}
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
		used := callsByCommand(in)
		names := slices.Sorted(func(yield func(string) bool) {
			for n := range used {
				if !yield(n) {
					return
				}
			}
		})
		if list, err := sc.Do(ctx, "COMMAND", "LIST").StringSlice(); err != nil {
			p.warn("COMMAND LIST on the source: %s; only the commands in its commandstats are compared", Explain(err))
		} else {
			names = union(names, list)
		}
		srcN, srcErr := sc.Do(ctx, "COMMAND", "COUNT").Int64()
		tgtN, tgtErr := tc.Do(ctx, "COMMAND", "COUNT").Int64()
		if srcErr == nil && tgtErr == nil {
			p.row("COMMAND COUNT", fmt.Sprintf("source %d, target %d", srcN, tgtN), "", true)
		}
		// A renamed command is still listed by its name but COMMAND INFO
		// no longer finds it by that name; a disabled one is not listed.
		srcGone, err := unknownCommands(ctx, sc, names)
		if err != nil {
			p.fail("COMMAND INFO on the source", err, "an answer")
			return p.done("")
		}
		tgtGone, err := unknownCommands(ctx, tc, names)
		if err != nil {
			p.fail("COMMAND INFO on the target", err, "an answer")
			return p.done("")
		}
		var renamedBoth, renamedSrc, calledGone, unusedGone []string
		for _, n := range names {
			switch {
			case srcGone[n] && tgtGone[n]:
				renamedBoth = append(renamedBoth, n)
			case srcGone[n]:
				renamedSrc = append(renamedSrc, n)
			case tgtGone[n] && used[n] > 0:
				calledGone = append(calledGone, fmt.Sprintf("%s (%d calls)", n, used[n]))
			case tgtGone[n]:
				unusedGone = append(unusedGone, n)
			}
		}
		p.row("commands the application calls", fmt.Sprintf("%d command(s) in the source's commandstats", len(used)), "", true)
		p.row("called on the source, unknown to the target", orNone(calledGone), "none", len(calledGone) == 0)
		if len(calledGone) > 0 {
			p.fix("remove the rename-command lines for %s from the target's redis.conf and restart it, or stop the application calling them", strings.Join(commandNames(calledGone), ", "))
		}
		p.row("renamed or disabled on the source only", orNone(renamedSrc), "none: the application may call the new names, which the target does not know", len(renamedSrc) == 0)
		if len(renamedSrc) > 0 {
			p.fix("give the target the source's rename-command lines for %s (the parameter group's rename-commands for ElastiCache)", strings.Join(renamedSrc, ", "))
		}
		if len(renamedBoth) > 0 {
			p.warn("renamed or disabled on both sides: %s; check the target's new names are the source's", strings.Join(renamedBoth, ", "))
		}
		if len(unusedGone) > 0 {
			p.warn("the target lacks %d command(s) the source has and the application has not called (since the source's stats were reset): %s", len(unusedGone), strings.Join(unusedGone, ", "))
		}
		return p.done(fmt.Sprintf("the target knows all %d command(s) the application calls", len(used)))
	},
}

// callsByCommand is INFO commandstats as calls per command: a subcommand
// (config|get) counts for its command, which rename-command renames.
func callsByCommand(in Info) map[string]int64 {
	m := map[string]int64{}
	for n, calls := range statCounts(in, "cmdstat_", "calls") {
		parent, _, _ := strings.Cut(n, "|")
		m[parent] += calls
	}
	return m
}

// unknownCommands are the names COMMAND INFO does not find on the server.
func unknownCommands(ctx context.Context, c *redis.Client, names []string) (map[string]bool, error) {
	if len(names) == 0 {
		return nil, nil
	}
	args := []any{"COMMAND", "INFO"}
	for _, n := range names {
		args = append(args, n)
	}
	r, err := c.Do(ctx, args...).Slice()
	if err != nil {
		return nil, err
	}
	if len(r) != len(names) {
		return nil, fmt.Errorf("COMMAND INFO answered %d entries for %d names", len(r), len(names))
	}
	gone := map[string]bool{}
	for i, e := range r {
		if e == nil {
			gone[names[i]] = true
		}
	}
	return gone, nil
}

// union is a and b, sorted, each name once.
func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

func orNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}

// commandNames drops the " (N calls)" of each item.
func commandNames(items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i], _, _ = strings.Cut(s, " ")
	}
	return out
}
