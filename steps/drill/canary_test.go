package drill

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/runbook"
)

func TestMeasureOutage(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ws := []write{
		{seq: 1, start: at(-40), end: at(-30), acked: true},
		{seq: 2, start: at(-10), end: at(-5), acked: true},
		{seq: 3, start: at(0), end: at(1000)},
		{seq: 4, start: at(1010), end: at(2010)},
		{seq: 5, start: at(2020), end: at(2500), acked: true},
		{seq: 6, start: at(2510), end: at(2520)},
	}
	o := measure(ws, t0)
	if o.window != 2505*time.Millisecond || o.firstWrite != 2500*time.Millisecond || o.failed != 3 {
		t.Fatalf("%+v: want a 2505 ms window, first write at 2500 ms, 3 failures", o)
	}
	if o := measure(ws[:2], t0); o.window != 0 || o.firstWrite != 0 || o.failed != 0 {
		t.Fatalf("no failure: %+v", o)
	}
	if o := measure(ws[:4], t0); o.firstWrite != -1 {
		t.Fatalf("writes never resumed: %+v", o)
	}
}

func TestCanaryReadBackCountsLostWrites(t *testing.T) {
	r := labtest.Redis(t, labtest.WithPassword("canary-pw"))
	c := client(r.Addr(), "canary-pw")
	defer c.Close()
	cn := startCanary(c, "cutover:drill:test:", time.Millisecond, time.Second)
	for n, _ := cn.acked(); n < 20; n, _ = cn.acked() {
		time.Sleep(5 * time.Millisecond)
	}
	ws := cn.halt()
	ctx := context.Background()
	must(t, c.Del(ctx, cn.key(3), cn.key(7)).Err())
	lost, acked, err := readBack(ctx, c, cn, ws)
	if err != nil || lost != 2 || acked != len(ws) {
		t.Fatalf("lost %d of %d (of %d writes), err %v: want 2 lost", lost, acked, len(ws), err)
	}
	if ttl := c.PTTL(ctx, cn.key(1)).Val(); ttl <= 0 || ttl > canaryTTL {
		t.Fatalf("canary key TTL %s", ttl)
	}
	must(t, cleanup(ctx, c, cn, ws))
	if n := canaryKeys(t, r.Addr(), "canary-pw"); n != 0 {
		t.Fatalf("%d canary keys left after cleanup", n)
	}
}

func TestShutdownStopsARemotePrimary(t *testing.T) {
	r := labtest.Redis(t, labtest.WithPassword("shutdown-pw"))
	tgt := runbook.Target{Endpoint: runbook.Endpoint{Kind: "sentinel", URL: "redis://" + r.Addr(), Secret: runbook.Secret{Value: "shutdown-pw"}}}
	p := primary{addr: r.Addr(), why: "test: treated as remote"}
	must(t, p.shutdown(context.Background(), tgt))
	select {
	case <-r.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SHUTDOWN NOSAVE did not stop the server")
	}
	if err := p.signal(syscall.SIGKILL); err == nil || !strings.Contains(err.Error(), "treated as remote") {
		t.Fatalf("signalling a remote primary: %v", err)
	}
}
