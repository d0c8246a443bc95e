package dnsswap

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// side is the end of a swap: the servers the name must reach afterwards.
type side struct {
	role string           // "target" or "source", for messages
	ep   runbook.Endpoint // whose credentials connect through the name
	// expect returns the address and run_id of the server clients must
	// reach: the target's primary, or the source.
	expect func(ctx context.Context) (addr, runID string, err error)
}

func targetSide(cfg *runbook.Config) side {
	return side{role: "target", ep: cfg.Target.Endpoint, expect: func(ctx context.Context) (string, string, error) {
		addr, err := probes.TargetPrimary(ctx, cfg)
		if err != nil {
			return "", "", err
		}
		id, err := runIDAt(ctx, cfg.Target.Endpoint, addr)
		return addr, id, err
	}}
}

func sourceSide(cfg *runbook.Config) side {
	return side{role: "source", ep: cfg.Source, expect: func(ctx context.Context) (string, string, error) {
		u, err := url.Parse(cfg.Source.URL)
		if err != nil {
			return "", "", fmt.Errorf("source.url %q is not a URL", cfg.Source.URL)
		}
		id, err := runIDAt(ctx, cfg.Source, u.Host)
		return u.Host, id, err
	}}
}

// runIDAt connects to addr with ep's credentials and TLS settings and
// returns the server's run_id.
func runIDAt(ctx context.Context, ep runbook.Endpoint, addr string) (string, error) {
	c := probes.Client(ep, "cname-proof", probes.Addr(addr), probes.PoolSize(1))
	defer c.Close()
	text, err := c.Info(ctx, "server").Result()
	if err != nil {
		return "", fmt.Errorf("INFO server at %s: %s", addr, probes.Explain(err))
	}
	id := probes.ParseInfo(text).RunID
	if id == "" {
		return "", fmt.Errorf("INFO server at %s has no run_id", addr)
	}
	return id, nil
}

// proof is what resolving and connecting through dns.record showed.
type proof struct {
	IPs      []string // what the name resolved to
	Addr     string   // the expected server
	Want     string   // its run_id
	Got      []string // run_id behind each resolved IP, in order
	OK       bool
	Problem  string // why not OK
	Attempts int
}

func (p proof) evidence(cfg *runbook.Config, s side) []runbook.Evidence {
	return []runbook.Evidence{
		{Name: "resolves (via " + resolverName(cfg.DNS.Resolver) + ")", Value: cfg.DNS.Record + " -> " + strings.Join(p.IPs, ", "),
			Want: "the " + s.role + " " + p.Addr, OK: p.OK},
		{Name: "run_id through " + cfg.DNS.Record, Value: strings.Join(p.Got, ", "), Want: p.Want, OK: p.OK},
	}
}

// prove resolves dns.record and connects through it until the server it
// reaches is the expected one, for at most limit (a caching resolver may
// serve the old answer for a while).
func prove(ctx context.Context, cfg *runbook.Config, s side, limit time.Duration, logf func(string, ...any)) (proof, error) {
	addr, want, err := s.expect(ctx)
	if err != nil {
		return proof{}, fmt.Errorf("cannot find the %s's run_id to compare with: %v", s.role, err)
	}
	_, port, err := net.SplitHostPort(hostPort(s.ep.URL))
	if err != nil {
		return proof{}, fmt.Errorf("%s.url %q has no port", s.role, s.ep.URL)
	}
	deadline := time.Now().Add(limit)
	var p proof
	for {
		p = proof{Addr: addr, Want: want, Attempts: p.Attempts + 1}
		p.IPs, err = Lookup(ctx, cfg.DNS, cfg.DNS.Record)
		if err != nil {
			p.Problem = err.Error()
		} else {
			p.check(ctx, s, port)
		}
		if p.OK || !time.Now().Add(time.Second).Before(deadline) {
			return p, nil
		}
		if p.Attempts == 1 {
			logf("%s does not reach the %s yet (%s); retrying for up to %s", cfg.DNS.Record, s.role, p.Problem, limit)
		}
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// check connects to every resolved IP: a client may get any of them.
func (p *proof) check(ctx context.Context, s side, port string) {
	p.OK = true
	for _, ip := range p.IPs {
		id, err := runIDAt(ctx, s.ep, net.JoinHostPort(ip, port))
		if err != nil {
			p.Got = append(p.Got, "unreachable")
			p.OK, p.Problem = false, err.Error()
			continue
		}
		p.Got = append(p.Got, id)
		if id != p.Want {
			p.OK = false
			p.Problem = fmt.Sprintf("%s answers with run_id %s, not the %s's %s", ip, id, s.role, p.Want)
		}
	}
}

func hostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
