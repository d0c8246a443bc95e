package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

// FailoverClient connects to the current primary of a sentinel target and
// follows it through failovers (go-redis asks the sentinels).
func FailoverClient(t runbook.Target, purpose string, opts ...Option) *redis.Client {
	s := newSettings(opts)
	b := baseOptions(s, purpose)
	u := universal(t, b)
	u.MasterName, u.Addrs, u.SentinelPassword = t.Sentinel.Master, t.Sentinel.Addrs, t.Sentinel.Secret.Value
	o := u.Failover()
	if u, err := url.Parse(t.URL); err == nil && u.Scheme == "rediss" {
		tc, err := tlsConfig(t.Endpoint, u.Hostname(), s.dir)
		if err != nil {
			o.Dialer = failDialer(&EndpointError{Role: "target", Err: err})
		}
		o.TLSConfig = tc
	}
	c := redis.NewFailoverClient(o)
	c.AddHook(explainHook{role: "target", secret: secretField("target", t.Secret), user: t.Username != "", addr: "primary of " + t.Sentinel.Master})
	return c
}

// SentinelClient connects to one sentinel of the target.
func SentinelClient(t runbook.Target, addr, purpose string, opts ...Option) *redis.SentinelClient {
	s := newSettings(opts)
	o := baseOptions(s, purpose)
	o.Addr = addr
	o.Password = t.Sentinel.Secret.Value
	c := redis.NewSentinelClient(o)
	c.AddHook(explainHook{role: "target.sentinel", secret: secretField("target.sentinel", t.Sentinel.Secret), addr: addr})
	return c
}

// TargetPrimary returns the host:port of the target's primary now: for a
// sentinel target the first sentinel that answers says; otherwise it is
// the target URL's address.
func TargetPrimary(ctx context.Context, cfg *runbook.Config) (string, error) {
	t := cfg.Target
	if t.Kind != "sentinel" {
		u, err := url.Parse(t.URL)
		if err != nil || u.Host == "" {
			return "", errBadURL(t.URL)
		}
		return u.Host, nil
	}
	if len(t.Sentinel.Addrs) == 0 {
		return "", errors.New("target.sentinel.addrs is empty; list the sentinels as host:port")
	}
	var last error
	for _, a := range t.Sentinel.Addrs {
		addr, err := askSentinel(ctx, t, a)
		if err == nil {
			return addr, nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return "", fmt.Errorf("no sentinel named the primary of %q: %s", t.Sentinel.Master, Explain(last))
}

func askSentinel(ctx context.Context, t runbook.Target, addr string) (string, error) {
	c := SentinelClient(t, addr, "primary", PoolSize(1))
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	hp, err := c.GetMasterAddrByName(ctx, t.Sentinel.Master).Result()
	if errors.Is(err, redis.Nil) {
		return "", &EndpointError{Role: "target.sentinel", Addr: addr,
			Err: fmt.Errorf("sentinel %s does not monitor %q (check target.sentinel.master)", addr, t.Sentinel.Master)}
	}
	if err != nil {
		return "", err
	}
	if len(hp) != 2 {
		return "", fmt.Errorf("sentinel %s answered %v, not host and port", addr, hp)
	}
	return net.JoinHostPort(hp[0], hp[1]), nil
}
