package probes

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/cutover/cutover/runbook"
)

// setIn writes keys into db on the server at addr.
func setIn(t *testing.T, addr, pw string, db int, keys ...string) {
	t.Helper()
	ctx := context.Background()
	c := Client(target(addr, pw), "test")
	defer c.Close()
	conn := c.Conn()
	defer conn.Close()
	if err := conn.Select(ctx, db).Err(); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if err := conn.Set(ctx, k, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDatabases(t *testing.T) {
	t.Parallel()
	src := redisPW(t, "pw")
	few := redisPW(t, "pw", "databases 3")
	many := redisPW(t, "pw")

	res := runCheck(t, "build.databases", envFor(labConfig(source(src.Addr(), "pw"), target(few.Addr(), "pw")), nil))
	wantResult(t, res, true, "none: the source holds no keys; the target has 3 databases")

	setIn(t, src.Addr(), "pw", 0, "a", "b")
	setIn(t, src.Addr(), "pw", 3, "c")
	res = runCheck(t, "build.databases", envFor(labConfig(source(src.Addr(), "pw"), target(few.Addr(), "pw")), nil))
	wantResult(t, res, false, "databases on the target: 3 (want more than 3 (db0..db3)). Fix: set `databases 4`")
	wantContains(t, evidence(t, res, "highest db in use on the source").Value, "db3 (1 keys there; 2 db(s) in use)")

	res = runCheck(t, "build.databases", envFor(labConfig(source(src.Addr(), "pw"), target(many.Addr(), "pw")), nil))
	wantResult(t, res, true, "db3 (1 keys there; 2 db(s) in use); the target has 16 databases")

	cl := labConfig(source(src.Addr(), "pw"), target(many.Addr(), "pw"))
	cl.Target.Kind = "cluster"
	res = runCheck(t, "build.databases", envFor(cl, nil))
	wantResult(t, res, false, "want db0 only (a cluster has one database)). Fix: move the keys of db1")
}

func TestKeyspaceEvents(t *testing.T) {
	t.Parallel()
	src := redisPW(t, "pw", "notify-keyspace-events KEA")
	same := redisPW(t, "pw", "notify-keyspace-events AKE")
	partial := redisPW(t, "pw", "notify-keyspace-events Exm")
	none := redisPW(t, "pw")

	res := runCheck(t, "build.keyspace_events", envFor(labConfig(source(src.Addr(), "pw"), target(same.Addr(), "pw")), nil))
	wantResult(t, res, true, `the target notifies "KEg$lshzxetd" as the source does`)

	res = runCheck(t, "build.keyspace_events", envFor(labConfig(source(src.Addr(), "pw"), target(partial.Addr(), "pw")), nil))
	wantResult(t, res, false, `lacks Kg$lshzetd, has m the source has not (want the classes of "AKE" (the source's)). Fix: on the target run CONFIG SET notify-keyspace-events "AKE"`)

	// An ElastiCache source's value is its parameter group's.
	ec := labConfig(source(src.Addr(), "pw"), target(none.Addr(), "pw"))
	ec.Source.Kind = "elasticache"
	res = runCheck(t, "build.keyspace_events", envFor(ec, runbook.Facts{runbook.DiscoverKeyspaceEvents: "on", runbook.DiscoverParamKeyspaceEvents: "Ex"}))
	wantResult(t, res, false, `notify-keyspace-events on the target: "", lacks Ex (want the classes of "Ex" (the parameter group's))`)
	res = runCheck(t, "build.keyspace_events", envFor(ec, runbook.Facts{runbook.DiscoverKeyspaceEvents: "settable"}))
	wantResult(t, res, true, "no keyspace notifications on either side")
	res = runCheck(t, "build.keyspace_events", envFor(ec, nil))
	wantResult(t, res, false, "run inventory.discover first")
}

func TestKeyspaceClassSet(t *testing.T) {
	for setting, want := range map[string]string{
		"KEA": "KEg$lshzxetd", "AKE": "KEg$lshzxetd", "Kgx$": "Kg$x", "": "", "xEK": "KEx", "KEAmn": "KEg$lshzxetdmn",
	} {
		if got := keyspaceClassSet(setting); got != want {
			t.Errorf("keyspaceClassSet(%q) = %q, want %q", setting, got, want)
		}
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := redisPW(t, "pw")
	plain := redisPW(t, "pw")
	hardened := redisPW(t, "pw", `rename-command KEYS ""`, "rename-command FLUSHALL wipe-all-xyz", `rename-command DEBUG ""`)
	c := Client(source(src.Addr(), "pw"), "test")
	defer c.Close()
	if err := c.Keys(ctx, "*").Err(); err != nil {
		t.Fatal(err)
	}

	res := runCheck(t, "build.commands", envFor(labConfig(source(src.Addr(), "pw"), target(plain.Addr(), "pw")), nil))
	wantResult(t, res, true, "the target knows all")

	// KEYS is called on the source and disabled on the target: a failure;
	// FLUSHALL and DEBUG are gone too but never called: warnings.
	res = runCheck(t, "build.commands", envFor(labConfig(source(src.Addr(), "pw"), target(hardened.Addr(), "pw")), nil))
	wantResult(t, res, false, "called on the source, unknown to the target: keys (1 calls) (want none). Fix: remove the rename-command lines for keys")
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "debug, flushall") {
		t.Fatalf("warnings %q", res.Warnings)
	}

	// The other way round: renamed on the source only.
	res = runCheck(t, "build.commands", envFor(labConfig(source(hardened.Addr(), "pw"), target(plain.Addr(), "pw")), nil))
	wantResult(t, res, false, "renamed or disabled on the source only: flushall")
}

func TestMemoryHeadroom(t *testing.T) {
	t.Parallel()
	src := redisPW(t, "pw", "maxmemory-policy allkeys-lru")
	used := mustInfoSection(t, src.Addr(), "pw", "memory").UsedMemory
	// Above used_memory but under the headroom: the load would fill it.
	tight := redisPW(t, "pw", "maxmemory-policy allkeys-lru", "maxmemory "+strconv.FormatInt(used*11/10, 10))
	res := runCheck(t, "build.memory", envFor(labConfig(source(src.Addr(), "pw"), target(tight.Addr(), "pw")), nil))
	wantResult(t, res, false, "(used_memory x 1.20)). Fix: CONFIG SET maxmemory ")
}

func TestScripts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := redisPW(t, "pw")
	tgt := redisPW(t, "pw")
	cfg := labConfig(source(src.Addr(), "pw"), target(tgt.Addr(), "pw"))
	res := runCheck(t, "build.scripts", envFor(cfg, nil))
	wantResult(t, res, true, "no function libraries on the source")
	if len(res.Warnings) != 0 {
		t.Fatalf("warnings %q", res.Warnings)
	}

	sc := Client(source(src.Addr(), "pw"), "test")
	defer sc.Close()
	tc := Client(target(tgt.Addr(), "pw"), "test")
	defer tc.Close()
	if err := sc.FunctionLoad(ctx, "#!lua name=billing\nredis.register_function('total', function() return 1 end)").Err(); err != nil {
		t.Fatal(err)
	}
	sha, err := sc.ScriptLoad(ctx, "return 1").Result()
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := sc.EvalSha(ctx, sha, nil).Err(); err != nil {
			t.Fatal(err)
		}
	}
	res = runCheck(t, "build.scripts", envFor(cfg, nil))
	wantResult(t, res, false, "function libraries missing on the target: billing (want none of the source's billing). Fix: copy them: redis-cli -u redis://"+src.Addr()+" --raw FUNCTION DUMP")
	wantContains(t, evidence(t, res, "EVALSHA calls on the source").Value, "3 (evalsha 3, evalsha_ro 0")

	// Restored as the fix says, the libraries pass; the scripts stay a warning.
	dump, err := sc.FunctionDump(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := tc.FunctionRestore(ctx, dump).Err(); err != nil {
		t.Fatal(err)
	}
	res = runCheck(t, "build.scripts", envFor(cfg, nil))
	wantResult(t, res, true, "the target has every function library of the source (billing); 3 EVALSHA calls")
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "NOSCRIPT") || !strings.Contains(res.Warnings[0], "SCRIPT LOAD") {
		t.Fatalf("warnings %q", res.Warnings)
	}
	if err := tc.EvalSha(ctx, sha, nil).Err(); err == nil || !strings.Contains(err.Error(), "NOSCRIPT") {
		t.Fatalf("EVALSHA on the target: %v, want NOSCRIPT as the warning says", err)
	}
}
