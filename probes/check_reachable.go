package probes

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

var reachableCheck = check{
	summary: "PING the target with the configured credentials, then without any: the second must be refused.",
	calls: func(cfg *runbook.Config) []string {
		return []string{
			fmt.Sprintf("PING to %s with the configured credentials", cfg.Target.URL),
			fmt.Sprintf("PING to %s without credentials (expect NOAUTH)", cfg.Target.URL),
		}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		c := targetClient(cfg, "check")
		defer c.Close()
		start := time.Now()
		if err := c.Ping(ctx).Err(); err != nil {
			p.fail("PING with auth", err, "PONG")
		} else {
			p.row("PING with auth", fmt.Sprintf("PONG in %s", time.Since(start).Round(10*time.Microsecond)), "PONG", true)
		}
		anon := targetClient(cfg, "check-noauth", NoAuth())
		defer anon.Close()
		err := anon.Ping(ctx).Err()
		switch {
		case err == nil:
			p.row("PING without auth", "PONG", "refused with NOAUTH", false)
			p.failure = "the target accepts unauthenticated clients: set requirepass or disable the default user"
		case redis.HasErrorPrefix(err, "NOAUTH"):
			p.row("PING without auth", "refused: NOAUTH", "refused with NOAUTH", true)
		default:
			p.fail("PING without auth", err, "refused with NOAUTH")
		}
		return p.done("the target answers with auth and refuses clients without it")
	},
}
