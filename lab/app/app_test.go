package app

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/dnsserver"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/lab/zone"
)

type world struct {
	source, target *servers.Redis
	zones          *zone.Store
	dns            *dnsserver.Server
}

// newWorld starts a source and a target with different passwords on one
// port, and a DNS server where cache.lab.internal is a CNAME to the source.
func newWorld(t *testing.T) *world {
	t.Helper()
	b := servers.PickBlock()
	w := &world{}
	port, err := servers.FreePort(b.Host(1), b.Host(2))
	must(t, err)
	w.source = labtest.Redis(t, labtest.WithHost(b.Host(1)), labtest.WithPort(port), labtest.WithPassword("source-pw"))
	w.target = labtest.Redis(t, labtest.WithHost(b.Host(2)), labtest.WithPort(port), labtest.WithPassword("target-pw"))
	w.zones = zone.NewStore()
	must(t, w.zones.AddZone("Z0LAB", "lab.internal."))
	must(t, w.zones.Set("Z0LAB", zone.Record{Name: "source.lab.internal", Type: zone.TypeA, TTL: 1, Values: []string{w.source.Host}}))
	must(t, w.zones.Set("Z0LAB", zone.Record{Name: "target.lab.internal", Type: zone.TypeA, TTL: 1, Values: []string{w.target.Host}}))
	w.point(t, "source.lab.internal")
	w.dns, err = dnsserver.Start(b.Host(53)+":0", w.zones)
	must(t, err)
	t.Cleanup(func() { _ = w.dns.Close() })
	c := w.redis(w.source)
	for i := range 100 {
		must(t, c.Set(context.Background(), "k:"+strconv.Itoa(i), "v", 0).Err())
	}
	return w
}

func (w *world) point(t *testing.T, to string) {
	t.Helper()
	must(t, w.zones.Set("Z0LAB", zone.Record{Name: "cache.lab.internal", Type: zone.TypeCNAME, TTL: 1, Values: []string{to}}))
}

func (w *world) redis(r *servers.Redis) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: r.Addr(), Password: r.Password, Protocol: 2, DisableIdentity: true})
}

func (w *world) start(t *testing.T, maxAge time.Duration) *App {
	t.Helper()
	a, err := Start(Config{
		Addr: "cache.lab.internal:" + strconv.Itoa(w.source.Port),
		DNS:  w.dns.Addr(),
		Passwords: map[string]string{
			w.source.Host: w.source.Password,
			w.target.Host: w.target.Password,
		},
		HitKey:     func(r *rand.Rand) string { return "k:" + strconv.Itoa(r.IntN(100)) },
		MaxConnAge: maxAge,
	})
	must(t, err)
	t.Cleanup(a.Close)
	return a
}

// appClients counts connections named lab-app on a server.
func (w *world) appClients(t *testing.T, r *servers.Redis) int {
	t.Helper()
	c := w.redis(r)
	defer c.Close()
	list, err := c.ClientList(context.Background()).Result()
	must(t, err)
	return strings.Count(list, "name="+ClientName+" ")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTrafficFollowsCNAMEAfterRestart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.start(t, time.Hour)
	waitFor(t, 5*time.Second, "traffic on the source", func() bool {
		s := a.Status()
		return s.Hits > 10 && s.Misses > 0 && s.Sets > 0 && s.Conns[w.source.Addr()] > 0
	})
	if n := w.appClients(t, w.source); n == 0 {
		t.Fatal("no connection named lab-app on the source")
	}

	w.point(t, "target.lab.internal")
	time.Sleep(300 * time.Millisecond)
	if s := a.Status(); s.Conns[w.target.Addr()] != 0 {
		t.Fatalf("moved to the target before a restart (max age 1h): %v", s.Conns)
	}
	a.Restart()
	before := a.Status()
	waitFor(t, 5*time.Second, "traffic on the target", func() bool {
		s := a.Status()
		return s.Conns[w.target.Addr()] > 0 && s.Conns[w.source.Addr()] == 0 && s.Ops > before.Ops+20
	})
	if w.appClients(t, w.source) != 0 || w.appClients(t, w.target) == 0 {
		t.Fatal("lab-app connections did not move from the source to the target")
	}
	// The target holds none of the seeded keys: the app's GETs miss there.
	if s := a.Status(); s.Misses-before.Misses < (s.Ops-before.Ops)/2 {
		t.Errorf("on the empty target %d of %d ops missed", s.Misses-before.Misses, s.Ops-before.Ops)
	}
	if s := a.Status(); s.Errors != 0 || s.Restarts != 1 {
		t.Errorf("errors %d (last %q), restarts %d", s.Errors, s.LastError, s.Restarts)
	}
}

func TestTrafficFollowsCNAMEByConnectionAge(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.start(t, 500*time.Millisecond)
	waitFor(t, 5*time.Second, "traffic on the source", func() bool { return a.Status().Conns[w.source.Addr()] > 0 })
	w.point(t, "target.lab.internal")
	waitFor(t, 5*time.Second, "connections to age out to the target", func() bool {
		s := a.Status()
		return s.Conns[w.target.Addr()] > 0 && s.Conns[w.source.Addr()] == 0
	})
}

func TestUnknownAddressIsAnErrorNotAPanic(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	must(t, w.zones.Set("Z0LAB", zone.Record{Name: "other.lab.internal", Type: zone.TypeA, TTL: 1, Values: []string{"127.0.0.9"}}))
	w.point(t, "other.lab.internal")
	a := w.start(t, time.Hour)
	waitFor(t, 5*time.Second, "an error", func() bool { return a.Status().Errors > 0 })
	if s := a.Status(); !strings.Contains(s.LastError, "127.0.0.9, for which no password is known") {
		t.Fatalf("last error %q", s.LastError)
	}
}

func TestStartRefusesIncompleteConfig(t *testing.T) {
	if _, err := Start(Config{Addr: "cache.lab.internal"}); err == nil {
		t.Fatal("no error for a config without DNS, keys and passwords")
	}
}

func TestRestartHoldingKeepsOneConnectionOnTheOldAddress(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.start(t, time.Hour)
	waitFor(t, 5*time.Second, "traffic on the source", func() bool { return a.Status().Conns[w.source.Addr()] > 0 })
	w.point(t, "target.lab.internal")
	addr, err := a.RestartHolding()
	must(t, err)
	if addr != w.source.Addr() || a.Status().Held != addr {
		t.Fatalf("held %s (status %q), want the source %s", addr, a.Status().Held, w.source.Addr())
	}
	waitFor(t, 5*time.Second, "the pool on the target, one connection left on the source", func() bool {
		s := a.Status()
		return s.Conns[w.target.Addr()] > 0 && s.Conns[w.source.Addr()] == 1
	})
	time.Sleep(1200 * time.Millisecond) // the held connection stays in use
	if n := w.appClients(t, w.source); n != 1 {
		t.Fatalf("%d lab-app connections on the source, want the held one", n)
	}
	a.Release()
	waitFor(t, 5*time.Second, "the held connection to close", func() bool { return w.appClients(t, w.source) == 0 })
	if s := a.Status(); s.Held != "" || s.Errors != 0 {
		t.Fatalf("after Release: held %q, errors %d (%s)", s.Held, s.Errors, s.LastError)
	}
}
