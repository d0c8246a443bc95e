package probes

import (
	"context"
	"fmt"

	"github.com/cutover/cutover/runbook"
)

var keyspaceEventsCheck = check{
	summary: "Compare notify-keyspace-events on the target with the source's, as sets of event classes.",
	calls: func(cfg *runbook.Config) []string {
		from := "CONFIG GET notify-keyspace-events on " + cfg.Source.URL
		switch cfg.Source.Kind {
		case runbook.KindServerless:
			from = "none on the source: " + serverlessNoKeyspace
		case runbook.KindElastiCache:
			from = "the fact " + runbook.DiscoverParamKeyspaceEvents.String() + " (parameter group)"
		}
		return []string{"CONFIG GET notify-keyspace-events on " + cfg.Target.URL, from}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		want, from, err := sourceKeyspaceEvents(ctx, env)
		if err != nil {
			p.fail("notify-keyspace-events of the source", err, "known")
			return p.done("")
		}
		tc := targetClient(cfg, "check")
		defer tc.Close()
		got, err := configValue(ctx, tc, "notify-keyspace-events")
		if err != nil {
			p.fail("CONFIG GET notify-keyspace-events on the target", err, "an answer")
			return p.done("")
		}
		ws, gs := keyspaceClassSet(want), keyspaceClassSet(got)
		value := fmt.Sprintf("%q", got)
		if ws != gs {
			if m := classesNotIn(ws, gs); m != "" {
				value += ", lacks " + m
			}
			if x := classesNotIn(gs, ws); x != "" {
				value += ", has " + x + " the source has not"
			}
		}
		p.row("notify-keyspace-events on the target", value, fmt.Sprintf("the classes of %q (the %s's)", want, from), ws == gs)
		p.fix("on the target run CONFIG SET notify-keyspace-events %q and put `notify-keyspace-events %q` in its redis.conf so a restart keeps it", want, want)
		if ws == "" {
			return p.done("no keyspace notifications on either side")
		}
		return p.done(fmt.Sprintf("the target notifies %q as the source does", gs))
	},
}

// sourceKeyspaceEvents is the source's notify-keyspace-events and where it
// was read: ElastiCache refuses CONFIG, so its value is the parameter
// group's, as inventory.discover recorded it; a serverless cache has none
// at all.
func sourceKeyspaceEvents(ctx context.Context, env *runbook.Env) (value, from string, err error) {
	switch env.Config.Source.Kind {
	case runbook.KindServerless:
		return "", "serverless cache", nil
	case runbook.KindElastiCache:
		f := env.State.Facts
		if f[runbook.DiscoverKeyspaceEvents] == "" {
			return "", "", fmt.Errorf("the parameter group is not known: run inventory.discover first")
		}
		return f[runbook.DiscoverParamKeyspaceEvents], "parameter group", nil
	}
	sc := sourceClient(env.Config, "check")
	defer sc.Close()
	v, err := configValue(ctx, sc, "notify-keyspace-events")
	return v, "source", err
}
