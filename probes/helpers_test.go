package probes

import (
	"context"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/runbook"
)

// target is a standalone target endpoint at addr with a password.
func target(addr, password string) runbook.Endpoint {
	return runbook.Endpoint{Kind: "standalone", URL: "redis://" + addr,
		Secret: runbook.Secret{Env: "TARGET_PASSWORD", Value: password}}
}

func source(addr, password string) runbook.Endpoint {
	return runbook.Endpoint{Kind: "redis", URL: "redis://" + addr,
		Secret: runbook.Secret{Env: "SOURCE_PASSWORD", Value: password}}
}

// redisPW starts a password-protected server.
func redisPW(t *testing.T, pw string, conf ...string) *servers.Redis {
	t.Helper()
	return labtest.Redis(t, labtest.WithPassword(pw), labtest.WithConfig(conf...))
}

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func wantContains(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("got %q, want it to contain %q", got, want)
	}
}

// proxy forwards TCP connections to one server and counts them.
type proxy struct {
	addr  string
	dials atomic.Int64
}

func countingProxy(t *testing.T, to string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := &proxy{addr: l.Addr().String()}
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			p.dials.Add(1)
			out, err := net.Dial("tcp", to)
			if err != nil {
				in.Close()
				continue
			}
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
	return p
}

// labtestRedis starts a server without a password.
func labtestRedis(t *testing.T, conf ...string) *servers.Redis {
	t.Helper()
	return labtest.Redis(t, labtest.WithConfig(conf...))
}

// mustInfo reads INFO server from addr.
func mustInfo(t *testing.T, addr, password string) Info {
	t.Helper()
	return mustInfoSection(t, addr, password, "server")
}

func mustInfoSection(t *testing.T, addr, password, section string) Info {
	t.Helper()
	c := Client(target(addr, password), "test")
	defer c.Close()
	in, err := infoOf(context.Background(), c, section)
	if err != nil {
		t.Fatal(err)
	}
	return in
}
