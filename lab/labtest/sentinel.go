package labtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/cutover/cutover/lab/servers"
)

// Topology is a password-protected primary with one replica, watched by
// three sentinels (quorum 2).
type Topology struct {
	Primary   *servers.Redis
	Replica   *servers.Redis
	Sentinels []*servers.Sentinel
	Master    string        // the monitored master name
	Password  string        // requirepass and masterauth of both servers
	DownAfter time.Duration // sentinel down-after-milliseconds
}

// SentinelAddrs returns the sentinels' host:port addresses.
func (tp *Topology) SentinelAddrs() []string {
	addrs := make([]string, len(tp.Sentinels))
	for i, s := range tp.Sentinels {
		addrs[i] = s.Addr()
	}
	return addrs
}

// Sentinel starts a Topology on a random loopback block (.1 primary,
// .2 replica, .3-.5 sentinels). It returns once every sentinel passes
// CKQUORUM, knows the two others and sees the replica with its link up, so
// a failover can be asked for at once.
func Sentinel(t testing.TB) *Topology {
	t.Helper()
	b := servers.PickBlock()
	tp := &Topology{Master: "mymaster", Password: rand.Text(), DownAfter: 1500 * time.Millisecond}
	tp.Primary = Redis(t, WithHost(b.Host(1)), WithPassword(tp.Password))
	tp.Replica = Redis(t, WithHost(b.Host(2)), WithPassword(tp.Password), WithReplicaOf(tp.Primary.Addr()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 3 {
		s, err := servers.StartSentinel(ctx, servers.SentinelConfig{
			Dir: t.TempDir(), Host: b.Host(3 + i), Master: tp.Master, MasterAddr: tp.Primary.Addr(),
			Quorum: 2, DownAfter: tp.DownAfter, AuthPass: tp.Password,
		})
		if err != nil {
			t.Fatalf("labtest: %v", err)
		}
		t.Cleanup(s.Stop)
		tp.Sentinels = append(tp.Sentinels, s)
	}
	if err := tp.waitReady(ctx); err != nil {
		t.Fatalf("labtest: sentinel topology on %s not ready: %v", b, err)
	}
	return tp
}

func (tp *Topology) waitReady(ctx context.Context) error {
	var last error
	for {
		if last = tp.ready(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return last
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (tp *Topology) ready(ctx context.Context) error {
	for _, s := range tp.Sentinels {
		if err := tp.sentinelReady(ctx, s.Addr()); err != nil {
			return fmt.Errorf("sentinel %s: %w", s.Addr(), err)
		}
	}
	return nil
}

func (tp *Topology) sentinelReady(ctx context.Context, addr string) error {
	c := client(addr, "")
	defer c.Close()
	if err := c.Do(ctx, "SENTINEL", "CKQUORUM", tp.Master).Err(); err != nil {
		return err
	}
	m, err := fields(c.Do(ctx, "SENTINEL", "MASTER", tp.Master).Result())
	if err != nil {
		return err
	}
	if m["num-other-sentinels"] != "2" {
		return fmt.Errorf("knows %s other sentinels, want 2", m["num-other-sentinels"])
	}
	replicas, err := c.Do(ctx, "SENTINEL", "REPLICAS", tp.Master).Slice()
	if err != nil {
		return err
	}
	for _, r := range replicas {
		f, err := fields(r, nil)
		if err == nil && f["ip"] == tp.Replica.Host && f["port"] == strconv.Itoa(tp.Replica.Port) &&
			f["master-link-status"] == "ok" && !strings.Contains(f["flags"], "down") {
			return nil
		}
	}
	return fmt.Errorf("replica %s not yet seen with its link up", tp.Replica.Addr())
}

// fields turns a RESP2 flat key/value array into a map.
func fields(v any, err error) (map[string]string, error) {
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok || len(list)%2 != 0 {
		return nil, fmt.Errorf("unexpected reply %T", v)
	}
	m := make(map[string]string, len(list)/2)
	for i := 0; i < len(list); i += 2 {
		m[fmt.Sprint(list[i])] = fmt.Sprint(list[i+1])
	}
	return m, nil
}

// client is a plain RESP2 client with short timeouts and no extras (no
// CLIENT SETINFO, no maintenance notifications) for readiness probes.
func client(addr, password string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, Password: password, Protocol: 2, DisableIdentity: true,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}
