package zone

import (
	"fmt"
	"net/netip"
	"strings"
)

// Canonical returns name in the store's form: lower-case, fully qualified
// (trailing dot). It checks that name is a plain host name: labels of 1-63
// letters, digits, '-' or '_', 253 characters at most.
func Canonical(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimSuffix(n, ".")
	if n == "" {
		return "", fmt.Errorf("empty DNS name: give a name such as cache.lab.internal")
	}
	if len(n) > 253 {
		return "", fmt.Errorf("DNS name %q is longer than 253 characters", name)
	}
	for _, label := range strings.Split(n, ".") {
		if label == "" || len(label) > 63 {
			return "", fmt.Errorf("DNS name %q has an empty label or one longer than 63 characters", name)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", fmt.Errorf("DNS name %q contains %q: use letters, digits, '-' and '_' only", name, c)
			}
		}
	}
	return n + ".", nil
}

// InZone reports whether the canonical name lies at or below the canonical
// zone apex.
func InZone(name, apex string) bool {
	return name == apex || strings.HasSuffix(name, "."+apex)
}

// Normalize checks r and returns it in canonical form: canonical owner name,
// upper-case type, and values that are IPv4 addresses (A) or one canonical
// target name (CNAME).
func Normalize(r Record) (Record, error) {
	name, err := Canonical(r.Name)
	if err != nil {
		return Record{}, err
	}
	out := Record{Name: name, Type: strings.ToUpper(strings.TrimSpace(r.Type)), TTL: r.TTL}
	if out.TTL < 0 || out.TTL > 2147483647 {
		return Record{}, fmt.Errorf("record %s %s: TTL %d is outside 0..2147483647", name, out.Type, r.TTL)
	}
	if len(r.Values) == 0 {
		return Record{}, fmt.Errorf("record %s %s has no values: give at least one", name, out.Type)
	}
	switch out.Type {
	case TypeA:
		seen := map[string]bool{}
		for _, v := range r.Values {
			ip, err := netip.ParseAddr(strings.TrimSpace(v))
			if err != nil || !ip.Is4() {
				return Record{}, fmt.Errorf("record %s A: value %q is not an IPv4 address", name, v)
			}
			if s := ip.String(); !seen[s] {
				seen[s] = true
				out.Values = append(out.Values, s)
			}
		}
	case TypeCNAME:
		if len(r.Values) != 1 {
			return Record{}, fmt.Errorf("record %s CNAME has %d values: a CNAME takes exactly one target", name, len(r.Values))
		}
		target, err := Canonical(r.Values[0])
		if err != nil {
			return Record{}, fmt.Errorf("record %s CNAME target: %w", name, err)
		}
		out.Values = []string{target}
	default:
		return Record{}, fmt.Errorf("record %s: type %q is not supported: use A or CNAME", name, r.Type)
	}
	return out, nil
}
