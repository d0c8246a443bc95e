package dnsswap

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// lookupTimeout bounds one resolution.
const lookupTimeout = 5 * time.Second

// Lookup resolves name to its IP addresses through dns.resolver (the
// system resolver when it is empty), following CNAMEs.
func Lookup(ctx context.Context, d runbook.DNS, name string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	ips, err := probes.Resolver(d).LookupHost(ctx, absolute(name))
	if err != nil {
		return nil, fmt.Errorf("resolve %s via %s: %s", name, resolverName(d.Resolver), lookupReason(err))
	}
	return ips, nil
}

// lookupCNAME returns the canonical name name resolves to.
func lookupCNAME(ctx context.Context, d runbook.DNS, name string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	c, err := probes.Resolver(d).LookupCNAME(ctx, absolute(name))
	if err != nil {
		return "", fmt.Errorf("resolve %s via %s: %s", name, resolverName(d.Resolver), lookupReason(err))
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
