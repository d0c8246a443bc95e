package dnsswap

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"
)

// lookupTimeout bounds one resolution.
const lookupTimeout = 5 * time.Second

// Resolver asks the DNS server at addr (host:port), over UDP or TCP as the
// query needs; an empty addr is the system resolver.
func Resolver(addr string) *net.Resolver {
	if addr == "" {
		return net.DefaultResolver
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

// Lookup resolves name to its IP addresses through the resolver at addr,
// following CNAMEs.
func Lookup(ctx context.Context, addr, name string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	ips, err := Resolver(addr).LookupHost(ctx, absolute(name))
	if err != nil {
		return nil, fmt.Errorf("resolve %s via %s: %s", name, resolverName(addr), lookupReason(err))
	}
	return ips, nil
}

// lookupCNAME returns the canonical name name resolves to.
func lookupCNAME(ctx context.Context, addr, name string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	c, err := Resolver(addr).LookupCNAME(ctx, absolute(name))
	if err != nil {
		return "", fmt.Errorf("resolve %s via %s: %s", name, resolverName(addr), lookupReason(err))
	}
	return c, nil
}

func lookupReason(err error) string {
	if de, ok := err.(*net.DNSError); ok {
		switch {
		case de.IsNotFound:
			return "no such host"
		case de.IsTimeout:
			return "the resolver did not answer (check dns.resolver)"
		}
		return de.Err
	}
	return firstLine(err.Error())
}

func resolverName(addr string) string {
	if addr == "" {
		return "the system resolver"
	}
	return addr
}

// absolute adds the trailing dot so no search domain is tried.
func absolute(name string) string {
	if strings.HasSuffix(name, ".") {
		return name
	}
	return name + "."
}

// canonical is a DNS name as compared: lower case, no trailing dot.
func canonical(name string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), "."))
}

func sameName(a, b string) bool { return canonical(a) == canonical(b) }
