package probes

import "net/url"

// hostPort is the host:port of a redis:// URL, or the URL itself when it
// cannot be read (the dial then fails with a clear error).
func hostPort(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}
