package probes

import (
	"net/url"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

// ClusterClient connects to a cluster target through its seed node
// (target.url) and routes each key to the primary owning its slot,
// following MOVED and the slot map through failovers. Options are those
// of Client; PoolSize is per node.
func ClusterClient(t runbook.Target, purpose string, opts ...Option) *redis.ClusterClient {
	s := newSettings(opts)
	b := baseOptions(s, purpose)
	o := universal(t, b).Cluster()
	addr := "cluster of " + t.URL
	u, err := url.Parse(t.URL)
	switch {
	case err != nil || u.Host == "":
		o.Addrs = []string{t.URL}
		o.Dialer = failDialer(&EndpointError{Role: "target", Err: errBadURL(t.URL)})
	default:
		o.Addrs, addr = []string{u.Host}, "cluster of "+u.Host
		if s.addr != "" {
			o.Addrs = []string{s.addr}
		}
		// One server name for every node: their certificates must all
		// carry the seed's name (a wildcard or a shared SAN).
		if u.Scheme == "rediss" && !s.plaintext {
			tc, err := tlsConfig(t.Endpoint, u.Hostname(), s.dir)
			if err != nil {
				o.Dialer = failDialer(&EndpointError{Role: "target", Addr: u.Host, Err: err})
			}
			o.TLSConfig = tc
		}
	}
	c := redis.NewClusterClient(o)
	c.AddHook(explainHook{role: "target", secret: secretField("target", t.Secret), user: t.Username != "", addr: addr})
	return c
}
