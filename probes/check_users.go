package probes

import (
	"context"
	"fmt"
	"strings"

	"github.com/cutover/cutover/runbook"
)

var usersCheck = check{
	summary: "List the source's ACL users and check that each exists on the target's primary and replicas with the same rules and logs in with its password from target.users. Passwords are never read from the source nor shown.",
	calls: func(cfg *runbook.Config) []string {
		var calls []string
		switch {
		case cfg.Source.Serverless():
			calls = append(calls, "DescribeServerlessCaches "+cfg.Source.ServerlessCache, "DescribeUserGroups (its user group)", "DescribeUsers")
		case cfg.Source.ElastiCache():
			calls = append(calls, "DescribeReplicationGroups "+cfg.Source.ReplicationGroup, "DescribeUserGroups (its user groups)", "DescribeUsers")
		default:
			calls = append(calls, "ACL LIST on "+cfg.Source.URL)
		}
		return append(calls, "ACL LIST on the target's primary and each of target.replicas",
			"AUTH <user> <its password from target.users>, then ACL WHOAMI, on a new connection to each")
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		users, from, err := sourceUsers(ctx, cfg)
		if err != nil {
			p.row("ACL users on the source", err.Error(), "listed", false)
			return p.done("")
		}
		var want []sourceUser
		for _, u := range users {
			if u.skip != "" {
				p.row("user "+u.name, "skipped: "+u.skip, "", true)
			} else {
				want = append(want, u)
			}
		}
		for _, c := range cfg.Target.Users {
			if !hasUser(want, c.Name) {
				p.warn("target.users lists %s, which the source has no enabled ACL user for (%s)", c.Name, from)
			}
		}
		if len(want) == 0 {
			p.row("ACL users on the source", "none but the default user ("+from+")", "", true)
			return p.done("no ACL users on the source: the applications log in as the default user")
		}
		servers, ok := p.aclServers(ctx, cfg)
		if !ok {
			return p.done("")
		}
		for _, u := range want {
			p.targetUser(ctx, cfg, u, servers)
		}
		return p.done(fmt.Sprintf("the target has the source's %d ACL user(s) (%s) with the same rules on %d server(s), and each logs in", len(want), from, len(servers)))
	},
}

func hasUser(us []sourceUser, name string) bool {
	for _, u := range us {
		if u.name == name {
			return true
		}
	}
	return false
}

// aclServer is one server of the target with its ACL users: ACL users are
// not replicated, so each server must have them.
type aclServer struct {
	label string
	url   string
	opts  []Option
	users map[string]aclUser
}

// aclServers reads ACL LIST on the primary (asked of the sentinels), the
// configured URL if it is another server now, and each replica.
func (p *proof) aclServers(ctx context.Context, cfg *runbook.Config) ([]*aclServer, bool) {
	primary, err := TargetPrimary(ctx, cfg)
	if err != nil {
		p.row("the target's primary", Explain(err), "found", false)
		return nil, false
	}
	servers := []*aclServer{{label: primary + " (primary)", url: cfg.Target.URL, opts: []Option{Addr(primary)}}}
	seen := map[string]bool{primary: true}
	for _, u := range append([]string{cfg.Target.URL}, cfg.Target.Replicas...) {
		if a := hostPort(u); !seen[a] {
			seen[a] = true
			servers = append(servers, &aclServer{label: a, url: u})
		}
	}
	ok := true
	for _, s := range servers {
		ep := cfg.Target.Endpoint
		ep.URL = s.url
		c := Client(ep, "check", append([]Option{ConfigDir(cfg.Dir)}, s.opts...)...)
		lines, err := c.Do(ctx, "ACL", "LIST").StringSlice()
		c.Close()
		if err != nil {
			ok = p.fail("ACL LIST on "+s.label, err, "the user list")
			continue
		}
		s.users = map[string]aclUser{}
		for _, l := range lines {
			if u, found := parseACLUser(l); found {
				s.users[u.name] = u
			}
		}
	}
	return servers, ok
}

// targetUser checks one source user on every server: present, on, the
// same rules, and its password logs in as it.
func (p *proof) targetUser(ctx context.Context, cfg *runbook.Config, u sourceUser, servers []*aclServer) {
	ref, hasRef := cfg.Target.User(u.name)
	p.row("user "+u.name+": the target needs", u.setUser("***", false), "", true)
	if u.iam {
		p.warn("%s authenticates with IAM on ElastiCache, which self-managed Redis has not: the application must log in with a password on the target", u.name)
	}
	want := u.perms()
	var fixOn []string
	reset := false
	for _, s := range servers {
		got, found := s.users[u.name]
		name := "user " + u.name + " on " + s.label
		if !found {
			p.row(name, "missing", "on, "+want.String(), false)
			fixOn = append(fixOn, s.label)
			continue
		}
		same := got.on && got.perms() == want && got.nopass == u.nopass
		p.row(name, got.describe(), "on, "+want.String(), same)
		if !same {
			fixOn, reset = append(fixOn, s.label), true
		}
	}
	pw := "(its password)"
	if hasRef {
		pw = "(password from " + secretRef(ref.Secret) + ")"
	}
	if len(fixOn) > 0 {
		p.fix("run on %s: %s", strings.Join(fixOn, ", "), u.setUser(pw, reset))
	}
	if !hasRef && !u.nopass {
		p.row("user "+u.name+": password", "not in target.users", "an entry in target.users", false)
		p.fix("add to target.users: {name: %s, password_env: <the variable holding %s's password>} (or password_file)", u.name, u.name)
		return
	}
	for _, s := range servers {
		if _, found := s.users[u.name]; found {
			p.login(ctx, cfg, u, ref, s)
		}
	}
}

// login connects afresh as the user and asks ACL WHOAMI.
func (p *proof) login(ctx context.Context, cfg *runbook.Config, u sourceUser, ref runbook.User, s *aclServer) {
	ep := cfg.Target.Endpoint
	ep.URL, ep.Username, ep.Secret = s.url, u.name, ref.Secret
	if u.nopass && ep.Secret.Value == "" {
		ep.Secret.Value = "nopass" // any password logs a nopass user in
	}
	c := Client(ep, "check", append([]Option{ConfigDir(cfg.Dir), PoolSize(1)}, s.opts...)...)
	defer c.Close()
	name := "AUTH " + u.name + " + ACL WHOAMI on " + s.label
	who, err := c.Do(ctx, "ACL", "WHOAMI").Text()
	switch {
	case err != nil && strings.Contains(err.Error(), "WRONGPASS"):
		p.row(name, "WRONGPASS: the target refuses "+u.name+" with the password from "+secretRef(ref.Secret), u.name, false)
		p.fix("give %s on %s the password from %s (ACL SETUSER %s >(that password)), or correct target.users", u.name, s.label, secretRef(ref.Secret), u.name)
	case err != nil && strings.Contains(err.Error(), "NOPERM"):
		// AUTH passed (or it would be WRONGPASS); the user's own rules
		// forbid ACL WHOAMI, as a read-only user's do.
		p.row(name, "AUTH OK; ACL WHOAMI is NOPERM under "+u.name+"'s own rules, so the connection is "+u.name+"'s", u.name, true)
	case err != nil:
		p.fail(name, err, u.name)
	default:
		p.row(name, who, u.name, who == u.name)
	}
}

// secretRef names where a password comes from, never its value.
func secretRef(s runbook.Secret) string {
	if s.File != "" {
		return s.File
	}
	return s.Env
}
