package labtest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// client is a plain RESP2 client without CLIENT SETINFO or maintenance
// notifications.
func client(addr, password string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, Password: password, Protocol: 2, DisableIdentity: true, MaxRetries: -1,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}

func TestRedisWithPassword(t *testing.T) {
	t.Parallel()
	r := Redis(t, WithPassword("pw1"), WithConfig("maxmemory 32mb"))
	ctx := context.Background()
	c := client(r.Addr(), "pw1")
	defer c.Close()
	if got, err := c.ConfigGet(ctx, "maxmemory").Result(); err != nil || got["maxmemory"] != "33554432" {
		t.Fatalf("maxmemory: %v %v", got, err)
	}
	anon := client(r.Addr(), "")
	defer anon.Close()
	if err := anon.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("PING without password: want NOAUTH, got %v", err)
	}
}

func TestSentinelTopologyFailsOver(t *testing.T) {
	t.Parallel()
	tp := Sentinel(t)
	ctx := context.Background()
	if n := len(tp.SentinelAddrs()); n != 3 {
		t.Fatalf("%d sentinels", n)
	}
	s := client(tp.SentinelAddrs()[0], "")
	defer s.Close()
	if err := s.Do(ctx, "SENTINEL", "FAILOVER", tp.Master).Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER right after readiness: %v", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		addr, err := s.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", tp.Master).StringSlice()
		if err == nil && len(addr) == 2 && addr[0] == tp.Replica.Host {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("master still %v (%v)", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fatalTB records Fatalf instead of failing the real test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestMissingRedisFailsWithHint(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	f := &fatalTB{TB: t}
	var wg sync.WaitGroup
	wg.Go(func() { Redis(f) })
	wg.Wait()
	if !strings.Contains(f.msg, "redis-server not found: install it with `apt-get install redis-server`") {
		t.Fatalf("want the install hint, got %q", f.msg)
	}
}

func TestClusterComesUpWithReplicasOnOtherHosts(t *testing.T) {
	t.Parallel()
	c := Cluster(t, 3, 1, WithPassword("pw2"))
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()[:1], Password: "pw2"})
	defer cc.Close()
	for i := range 100 {
		if err := cc.Set(ctx, fmt.Sprintf("key:%d", i), i, 0).Err(); err != nil {
			t.Fatalf("SET through the cluster client: %v", err)
		}
	}
	slots, err := cc.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	covered := 0
	for _, s := range slots {
		covered += s.End - s.Start + 1
		if len(s.Nodes) != 2 {
			t.Fatalf("slots %d-%d served by %d nodes, want a primary and a replica", s.Start, s.End, len(s.Nodes))
		}
		p, r := s.Nodes[0].Addr, s.Nodes[1].Addr
		if host(p) == host(r) {
			t.Fatalf("replica %s shares a host with its primary %s", r, p)
		}
	}
	if covered != 16384 {
		t.Fatalf("%d slots covered", covered)
	}
	total := 0
	for _, p := range c.Primaries {
		n, err := client(p.Addr(), "pw2").DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("primary %s holds no key: slots not spread", p.Addr())
		}
		total += int(n)
	}
	if total != 100 {
		t.Fatalf("%d keys over the primaries, want 100", total)
	}
}

func host(addr string) string { h, _, _ := strings.Cut(addr, ":"); return h }
