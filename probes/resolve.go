package probes

import (
	"context"
	"net"
	"strings"

	"github.com/cutover/cutover/runbook"
)

// Resolver is the resolver dns.resolver names, or the system's.
func Resolver(d runbook.DNS) *net.Resolver {
	if d.Resolver == "" {
		return net.DefaultResolver
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var nd net.Dialer
		return nd.DialContext(ctx, network, d.Resolver)
	}}
}

// Resolution is where a name leads.
type Resolution struct {
	Canonical string   // the end of the CNAME chain, without the trailing dot
	Addrs     []string // its addresses
}

// Resolve follows name's CNAMEs to its addresses.
func Resolve(ctx context.Context, d runbook.DNS, name string) (Resolution, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	r := Resolver(d)
	cname, err := r.LookupCNAME(ctx, name)
	if err != nil {
		return Resolution{}, err
	}
	addrs, err := r.LookupHost(ctx, name)
	if err != nil {
		return Resolution{}, err
	}
	return Resolution{Canonical: trimDot(cname), Addrs: addrs}, nil
}

// SameName compares DNS names case-insensitively, trailing dot or not.
func SameName(a, b string) bool { return strings.EqualFold(trimDot(a), trimDot(b)) }

func trimDot(s string) string { return strings.TrimSuffix(s, ".") }
