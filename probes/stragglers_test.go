package probes

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/labtest"
)

func TestStragglers(t *testing.T) {
	t.Parallel()
	src := redisPW(t, "pw")
	// A replica of the source is no application.
	labtest.Redis(t, labtest.WithPassword("pw"), labtest.WithReplicaOf(src.Addr()))
	cfg := labConfig(source(src.Addr(), "pw"), target("127.0.0.1:1", "pw"))
	cfg.Thresholds.StragglersQuiet.Duration = time.Second
	cfg.Thresholds.StragglersTimeout.Duration = 3 * time.Second
	ctx := context.Background()
	// cutover's own connections are not stragglers either.
	own := Client(source(src.Addr(), "pw"), "baseline")
	defer own.Close()
	if err := own.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}

	// An application that never followed the DNS change.
	app := redis.NewClient(&redis.Options{Addr: src.Addr(), Password: "pw", ClientName: "billing-worker", Protocol: 2})
	defer app.Close()
	var local string
	if cl, err := app.ClientInfo(ctx).Result(); err == nil {
		local = cl.Addr
	}
	if err := app.Get(ctx, "k").Err(); err != redis.Nil {
		t.Fatal(err)
	}
	var logs []string
	env := envFor(cfg, nil)
	env.Log = func(format string, args ...any) { logs = append(logs, format) }
	start := time.Now()
	res := runCheck(t, "cutover.stragglers", env)
	if d := time.Since(start); d < 3*time.Second {
		t.Fatalf("gave up after %s, want the 3s timeout", d)
	}
	wantResult(t, res, false, "1 application connection(s) still on the source after 3s: 1 on the source: "+local+" (name billing-worker, lib ")
	e := evidence(t, res, "connection from "+local)
	if e.OK || !strings.Contains(e.Value, "name billing-worker") || !strings.Contains(e.Value, "last get") {
		t.Fatalf("connection row %+v", e)
	}
	if len(logs) == 0 {
		t.Fatal("nothing logged while the connection stayed")
	}

	// The application restarts onto the target: the source goes quiet.
	app.Close()
	res = runCheck(t, "cutover.stragglers", envFor(cfg, nil))
	wantResult(t, res, true, "no application connection on the source for 1s")
}

func TestAppClients(t *testing.T) {
	t.Parallel()
	list := "id=3 addr=10.0.0.5:5000 laddr=10.0.0.1:6379 fd=8 name=api age=120 idle=2 flags=N db=0 cmd=get user=default lib-name=go-redis lib-ver=9.7.0\n" +
		"id=4 addr=10.0.0.6:5001 fd=9 name= age=7 idle=7 flags=N db=0 cmd=client|list\n" +
		"id=5 addr=10.0.0.2:6380 fd=10 name= age=99 idle=0 flags=S db=0 cmd=replconf\n" +
		"id=6 addr=10.0.0.9:6000 fd=11 name=cutover-stragglers age=1 idle=0 flags=N db=0 cmd=client|list\n"
	apps := appClients(list)
	if len(apps) != 2 {
		t.Fatalf("apps %+v: want the two application connections", apps)
	}
	if got := apps[0].String(); got != "10.0.0.5:5000 (name api, lib go-redis 9.7.0, age 2m0s, idle 2s, last get)" {
		t.Errorf("7.2 line: %s", got)
	}
	if got := apps[1].String(); got != "10.0.0.6:5001 (name -, lib -, age 7s, idle 7s, last client|list)" {
		t.Errorf("7.0 line: %s", got)
	}
	if got := stragglerLine(append(apps, apps...)); !strings.HasSuffix(got, "; and 1 more") || !strings.HasPrefix(got, "4 on the source: ") {
		t.Errorf("line %q", got)
	}
}
