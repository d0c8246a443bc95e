package probes

import (
	"context"
	"fmt"

	"github.com/cutover/cutover/runbook"
)

var aclCheck = check{
	summary: "Read the target's ACL users: the default user is off or has a password, and the configured user exists and is enabled.",
	calls: func(cfg *runbook.Config) []string {
		return []string{"ACL WHOAMI on " + cfg.Target.URL, "ACL LIST on " + cfg.Target.URL}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		c := targetClient(cfg, "check")
		defer c.Close()
		want := cfg.Target.Username
		if want == "" {
			want = "default"
		}
		who, err := c.Do(ctx, "ACL", "WHOAMI").Text()
		if err != nil {
			p.fail("ACL WHOAMI", err, want)
			return p.done("")
		}
		p.row("ACL WHOAMI", who, want, who == want)
		lines, err := c.Do(ctx, "ACL", "LIST").StringSlice()
		if err != nil {
			p.fail("ACL LIST", err, "the user list")
			return p.done("")
		}
		users := map[string]aclUser{}
		for _, l := range lines {
			if u, ok := parseACLUser(l); ok {
				users[u.name] = u
			}
		}
		def := users["default"]
		p.row("default user", def.describe(), "off, or on with a password", !def.on || !def.nopass)
		if cfg.Target.Username == "" {
			p.row("target.username", "not set (cutover connects as the default user)", "an ACL user", false)
		} else if u, ok := users[cfg.Target.Username]; !ok {
			p.row("user "+cfg.Target.Username, "missing", "exists and is on", false)
		} else {
			p.row("user "+u.name, u.describe(), "on, with a password", u.on && !u.nopass)
		}
		p.fact("users", fmt.Sprint(len(users)))
		return p.done(fmt.Sprintf("%d ACL users; the default user is protected and %s is enabled", len(users), want))
	},
}
