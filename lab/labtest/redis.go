// Package labtest starts real redis-server and redis-sentinel processes for
// other packages' tests. The servers are stopped by t.Cleanup. A missing
// binary fails the test with the install hint: tests never skip for it.
package labtest

import (
	"context"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/servers"
)

// Option adjusts a server started by Redis.
type Option func(*servers.RedisConfig)

// WithPassword sets requirepass (and masterauth, for replicas).
func WithPassword(pw string) Option {
	return func(c *servers.RedisConfig) { c.Password, c.MasterAuth = pw, pw }
}

// WithConfig appends redis.conf lines, e.g. "maxmemory 64mb".
func WithConfig(lines ...string) Option {
	return func(c *servers.RedisConfig) { c.Extra = append(c.Extra, lines...) }
}

// WithHost binds the server to host (a loopback IP) instead of a random one.
func WithHost(host string) Option {
	return func(c *servers.RedisConfig) { c.Host = host }
}

// WithPort uses port instead of a free one (see servers.FreePort for a
// port free on several hosts).
func WithPort(port int) Option {
	return func(c *servers.RedisConfig) { c.Port = port }
}

// WithReplicaOf makes the server a replica of primary (host:port).
func WithReplicaOf(primary string) Option {
	return func(c *servers.RedisConfig) { c.ReplicaOf = primary }
}

// Redis starts a redis-server in a temporary directory on a random loopback
// address; without WithPassword it has no password.
func Redis(t testing.TB, opts ...Option) *servers.Redis {
	t.Helper()
	cfg := servers.RedisConfig{Dir: t.TempDir(), Host: servers.PickBlock().Host(1)}
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := servers.StartRedis(ctx, cfg)
	if err != nil {
		t.Fatalf("labtest: %v", err)
	}
	t.Cleanup(r.Stop)
	return r
}
