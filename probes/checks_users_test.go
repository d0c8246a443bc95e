package probes

import (
	"context"
	"strings"
	"testing"

	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/runbook"
)

const (
	appPW       = "app-Secret-4711"
	reportingPW = "reporting-Secret-0815"
)

// setUsers runs ACL SETUSER for each rule line ("app on >pw ~* +@all").
func setUsers(t *testing.T, addr string, users ...string) {
	t.Helper()
	c := Client(target(addr, "pw"), "test")
	defer c.Close()
	for _, u := range users {
		args := []any{"ACL", "SETUSER"}
		for _, w := range strings.Fields(u) {
			args = append(args, w)
		}
		if err := c.Do(context.Background(), args...).Err(); err != nil {
			t.Fatalf("ACL SETUSER %s: %v", strings.Fields(u)[0], err)
		}
	}
}

var (
	appUser       = "app on >" + appPW + " ~* +@all -@dangerous"
	reportingUser = "reporting on >" + reportingPW + " ~report:* +@read"
)

// withUsers gives cfg's target.users the two users' password references.
func withUsers(cfg *runbook.Config) *runbook.Config {
	cfg.Target.Users = []runbook.User{
		{Name: "app", Secret: runbook.Secret{Env: "APP_PASSWORD", Value: appPW}},
		{Name: "reporting", Secret: runbook.Secret{File: "secrets/reporting.pass", Value: reportingPW}},
	}
	return cfg
}

// noPasswords fails if a user's password shows anywhere in the result.
func noPasswords(t *testing.T, res runbook.Result) {
	t.Helper()
	texts := append([]string{res.Summary}, res.Warnings...)
	for _, e := range res.Evidence {
		texts = append(texts, e.Name, e.Value, e.Want)
	}
	for _, s := range texts {
		if strings.Contains(s, appPW) || strings.Contains(s, reportingPW) || strings.Contains(s, "wrong-Secret") {
			t.Fatalf("a password shows in %q", s)
		}
	}
}

func TestUsers(t *testing.T) {
	t.Parallel()
	src := redisPW(t, "pw")
	setUsers(t, src.Addr(), appUser, reportingUser, "retired off >old-pass ~* +@all")
	good := redisPW(t, "pw")
	setUsers(t, good.Addr(), appUser, reportingUser)
	check := func(tgt string) runbook.Result {
		t.Helper()
		res := runCheck(t, "build.users", envFor(withUsers(labConfig(source(src.Addr(), "pw"), target(tgt, "pw"))), nil))
		noPasswords(t, res)
		return res
	}

	res := check(good.Addr())
	wantResult(t, res, true, "the target has the source's 2 ACL user(s) (ACL LIST on the source) with the same rules on 1 server(s), and each logs in")
	primary := good.Addr() + " (primary)"
	for name, want := range map[string]string{
		"user app: the target needs":                "ACL SETUSER app on >*** ~* resetchannels +@all -@dangerous",
		"user reporting on " + primary:              "on, 1 password(s), ~report:* resetchannels -@all +@read",
		"AUTH app + ACL WHOAMI on " + primary:       "app",
		"AUTH reporting + ACL WHOAMI on " + primary: "AUTH OK; ACL WHOAMI is NOPERM under reporting's own rules",
		"user retired":                              "skipped: off on the source: nobody can log in as it",
		"user default":                              "skipped: the default user",
	} {
		wantContains(t, evidence(t, res, name).Value, want)
	}

	// A user the target lacks: the fix is the SETUSER line, with the
	// password by reference.
	missing := redisPW(t, "pw")
	setUsers(t, missing.Addr(), appUser)
	res = check(missing.Addr())
	wantResult(t, res, false, "user reporting on "+missing.Addr()+" (primary): missing (want on, ~report:* +@read)")
	wantContains(t, res.Summary, "Fix: run on "+missing.Addr()+" (primary): ACL SETUSER reporting on >(password from secrets/reporting.pass) ~report:* resetchannels -@all +@read")

	// The target's app has another password: AUTH fails with WRONGPASS.
	wrongPW := redisPW(t, "pw")
	setUsers(t, wrongPW.Addr(), "app on >wrong-Secret ~* +@all -@dangerous", reportingUser)
	res = check(wrongPW.Addr())
	wantResult(t, res, false, "AUTH app + ACL WHOAMI on "+wrongPW.Addr()+" (primary): WRONGPASS: the target refuses app with the password from APP_PASSWORD")

	// Fewer rights: the fix resets the user first.
	fewer := redisPW(t, "pw")
	setUsers(t, fewer.Addr(), appUser, "reporting on >"+reportingPW+" ~report:daily:* +@read")
	res = check(fewer.Addr())
	wantResult(t, res, false, "user reporting on "+fewer.Addr()+" (primary): on, 1 password(s), ~report:daily:* resetchannels -@all +@read (want on, ~report:* +@read)")
	wantContains(t, res.Summary, "ACL SETUSER reporting reset on >(password from secrets/reporting.pass)")

	// A user without a password reference in target.users.
	cfg := withUsers(labConfig(source(src.Addr(), "pw"), target(good.Addr(), "pw")))
	cfg.Target.Users = cfg.Target.Users[:1]
	res = runCheck(t, "build.users", envFor(cfg, nil))
	wantResult(t, res, false, "user reporting: password: not in target.users (want an entry in target.users). Fix: add to target.users: {name: reporting, password_env:")

	// ACL users are not replicated: a replica without them fails.
	replica := labtest.Redis(t, labtest.WithPassword("pw"), labtest.WithReplicaOf(good.Addr()))
	cfg = withUsers(labConfig(source(src.Addr(), "pw"), target(good.Addr(), "pw")))
	cfg.Target.Replicas = []string{"redis://" + replica.Addr()}
	res = runCheck(t, "build.users", envFor(cfg, nil))
	noPasswords(t, res)
	wantResult(t, res, false, "user app on "+replica.Addr()+": missing")

	// Only the default user on the source: a real answer, not n/a.
	plain := redisPW(t, "pw")
	res = runCheck(t, "build.users", envFor(labConfig(source(plain.Addr(), "pw"), target(good.Addr(), "pw")), nil))
	wantResult(t, res, true, "no ACL users on the source")
	wantContains(t, evidence(t, res, "ACL users on the source").Value, "none but the default user")
}

// An ElastiCache source: the users come from the replication group's user
// group through DescribeUserGroups and DescribeUsers.
func TestUsersElastiCache(t *testing.T) {
	t.Parallel()
	cfg := withUsers(elastiCacheLab(t, 0, func(c *awsstub.Config) {
		c.UserGroupIDs = []string{"lab-users"}
		c.Users = []awsstub.User{
			{ID: "app", AccessString: "on ~* +@all -@dangerous"},
			{ID: "reporting-id", Name: "reporting", AccessString: "on ~report:* +@read"},
			{ID: "retired", AccessString: "off ~* +@all"},
		}
	}))
	tgt := redisPW(t, "pw")
	setUsers(t, tgt.Addr(), appUser)
	cfg.Target.Endpoint = target(tgt.Addr(), "pw")
	res := runCheck(t, "build.users", envFor(cfg, nil))
	noPasswords(t, res)
	wantResult(t, res, false, "user reporting on "+tgt.Addr()+" (primary): missing")
	wantContains(t, evidence(t, res, "user app: the target needs").Value, "ACL SETUSER app on >*** ~* +@all -@dangerous")
	wantContains(t, evidence(t, res, "user retired").Value, "skipped: off on the source")

	setUsers(t, tgt.Addr(), reportingUser)
	res = runCheck(t, "build.users", envFor(cfg, nil))
	wantResult(t, res, true, "the target has the source's 2 ACL user(s) (user groups lab-users of lab-cache)")

	// A group with no user groups: an AUTH token.
	plain := elastiCacheLab(t, 0)
	plain.Target.Endpoint = target(tgt.Addr(), "pw")
	res = runCheck(t, "build.users", envFor(plain, nil))
	wantResult(t, res, true, "no ACL users on the source")
}
