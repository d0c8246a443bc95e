package probes

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/runbook"
)

func TestClientAuthAndName(t *testing.T) {
	t.Parallel()
	r := redisPW(t, "s3cret")
	ctx := context.Background()

	c := Client(target(r.Addr(), "s3cret"), "test check")
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING: %s", Explain(err))
	}
	list, err := c.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, list, "name=cutover-test-check ")

	bad := Client(target(r.Addr(), "wrong"), "test")
	defer bad.Close()
	err = bad.Ping(ctx).Err()
	if got := Explain(err); got != "WRONGPASS: the password for target is wrong (check target.password_env)" {
		t.Fatalf("wrong password: %q", got)
	}
	if strings.Contains(err.Error(), "wrong") && strings.Contains(err.Error(), "s3cret") {
		t.Fatal("the error holds the password")
	}

	anon := Client(source(r.Addr(), "s3cret"), "test", NoAuth())
	defer anon.Close()
	if got := Explain(anon.Ping(ctx).Err()); got != "NOAUTH: source requires a password (set source.password_env)" {
		t.Fatalf("no auth: %q", got)
	}
}

func TestExplainNetworkFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	addr := closedAddr(t)
	c := Client(target(addr, "x"), "test")
	defer c.Close()
	if got := Explain(c.Ping(ctx).Err()); got != "connection refused at "+addr {
		t.Fatalf("refused: %q", got)
	}

	// A server that accepts and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			cn, err := l.Accept()
			if err != nil {
				return
			}
			defer cn.Close()
		}
	}()
	slow := Client(target(l.Addr().String(), "x"), "test", Timeout(300*time.Millisecond))
	defer slow.Close()
	got := Explain(slow.Ping(ctx).Err())
	var took time.Duration
	if d, ok := strings.CutPrefix(got, "timed out after "); ok {
		d, _, _ = strings.Cut(d, " ")
		took, _ = time.ParseDuration(d)
	}
	if took < 300*time.Millisecond || took > time.Second || !strings.HasSuffix(got, " waiting for "+l.Addr().String()) {
		t.Fatalf("timeout: %q", got)
	}

	ep := target("127.0.0.1:1", "x")
	ep.URL = "rediss://127.0.0.1:1"
	ep.TLS.CAFile = "missing-ca.pem"
	tc := Client(ep, "test", ConfigDir("/nonexistent"))
	defer tc.Close()
	if got := Explain(tc.Ping(ctx).Err()); got != "cannot read target.tls.ca_file /nonexistent/missing-ca.pem: no such file or directory" {
		t.Fatalf("CA file: %q", got)
	}
}

func TestTargetPrimaryAsksSentinels(t *testing.T) {
	t.Parallel()
	tp := labtest.Sentinel(t)
	cfg := &runbook.Config{Target: runbook.Target{
		Endpoint: runbook.Endpoint{Kind: "sentinel", URL: "redis://" + tp.Primary.Addr(), Secret: runbook.Secret{Value: tp.Password}},
		Sentinel: runbook.Sentinel{Master: tp.Master, Addrs: append([]string{closedAddr(t)}, tp.SentinelAddrs()...)},
	}}
	ctx := context.Background()
	got, err := TargetPrimary(ctx, cfg)
	if err != nil || got != tp.Primary.Addr() {
		t.Fatalf("primary %q, %v; want %s", got, err, tp.Primary.Addr())
	}

	fc := FailoverClient(cfg.Target, "test")
	defer fc.Close()
	if err := fc.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET through sentinel: %s", Explain(err))
	}

	cfg.Target.Sentinel.Master = "nosuch"
	_, err = TargetPrimary(ctx, cfg)
	wantContains(t, Explain(err), `does not monitor "nosuch" (check target.sentinel.master)`)
}
