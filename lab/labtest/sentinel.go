package labtest

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

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
	if err := servers.SentinelsReady(ctx, tp.Master, []string{tp.Replica.Addr()}, tp.Sentinels...); err != nil {
		t.Fatalf("labtest: topology on %s: %v", b, err)
	}
	return tp
}
