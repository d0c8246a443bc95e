package probes

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

var tlsCheck = check{
	summary: "Handshake with the target over TLS, verifying its certificate against the configured CA and name; PING over TLS; then prove a plaintext connection is refused (sent without credentials).",
	calls: func(cfg *runbook.Config) []string {
		a := hostPort(cfg.Target.URL)
		return []string{
			"TLS handshake with " + a + " (certificate verified)",
			"PING over TLS with the configured credentials",
			"PING in plaintext to " + a + " without credentials (expect the connection to be refused)",
		}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		ep := cfg.Target.Endpoint
		var p proof
		u, err := url.Parse(ep.URL)
		if err != nil || u.Scheme != "rediss" {
			p.row("target.url", ep.URL, "a rediss:// URL", false)
			p.failure = "target.url is not rediss://: set it to rediss://host:port and give target.tls"
			return p.done("")
		}
		if ep.TLS.InsecureSkipVerify {
			p.warn("target.tls.insecure_skip_verify is set: clients configured like cutover do not verify the certificate")
		}
		verify := ep
		verify.TLS.InsecureSkipVerify = false
		tc, err := tlsConfig(verify, u.Hostname(), cfg.Dir)
		if err != nil {
			p.row("TLS settings", err.Error(), "a readable CA file", false)
			return p.done("")
		}
		roots := "the system roots"
		if ep.TLS.CAFile != "" {
			roots = ep.TLS.CAFile
		}
		want := fmt.Sprintf("verifies against %s as %s", roots, tc.ServerName)
		if ok := p.handshake(ctx, u.Host, tc, want); ok {
			c := targetClient(cfg, "check")
			defer c.Close()
			if err := c.Ping(ctx).Err(); err != nil {
				p.fail("PING over TLS", err, "PONG")
			} else {
				p.row("PING over TLS", "PONG", "PONG", true)
			}
		}
		plain := targetClient(cfg, "check-plaintext", Plaintext(), NoAuth())
		defer plain.Close()
		err = plain.Ping(ctx).Err()
		var rerr redis.Error
		switch {
		case err == nil || errors.As(err, &rerr):
			// Any Redis reply, even NOAUTH, means it speaks plaintext.
			v := "PONG"
			if err != nil {
				v = firstLine(err.Error())
			}
			p.row("plaintext PING", "answered: "+v, "refused", false)
			p.failure = "the target answers plaintext on its TLS address: set port 0 and serve only tls-port"
		default:
			p.row("plaintext PING", "refused: "+Explain(err), "refused", true)
		}
		return p.done("TLS verifies against " + roots + " and plaintext is refused")
	},
}

// handshake records the TLS handshake and the certificate's dates.
func (p *proof) handshake(ctx context.Context, addr string, tc *tls.Config, want string) bool {
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	d := tls.Dialer{NetDialer: &net.Dialer{}, Config: tc}
	cn, err := d.DialContext(ctx, "tcp", addr)
	switch {
	case isTimeout(err) && ctx.Err() != nil:
		// A plaintext server waits for a line end that never comes.
		return p.row("TLS handshake", fmt.Sprintf("no TLS answer from %s within %s (is this a TLS port?)", addr, DefaultTimeout), want, false)
	case err != nil:
		return p.row("TLS handshake", Explain(&EndpointError{Role: "target", Addr: addr, Err: err}), want, false)
	}
	defer cn.Close()
	st := cn.(*tls.Conn).ConnectionState()
	leaf := st.PeerCertificates[0]
	p.row("TLS handshake", fmt.Sprintf("%s, certificate %s issued by %s", tls.VersionName(st.Version),
		certName(leaf.Subject.CommonName, leaf.DNSNames), leaf.Issuer.CommonName), want, true)
	left := time.Until(leaf.NotAfter)
	p.row("certificate expiry", fmt.Sprintf("%s (%d days left)", leaf.NotAfter.UTC().Format(time.DateOnly), int(left.Hours()/24)),
		"more than 30 days left", left > 30*24*time.Hour)
	return true
}

func certName(cn string, dns []string) string {
	if len(dns) > 0 {
		return strings.Join(dns, ",")
	}
	return "CN=" + cn
}
