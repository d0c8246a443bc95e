package probes

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/runbook"
)

// commandCalls reads INFO commandstats: calls per command.
func commandCalls(t *testing.T, c interface {
	Process(context.Context, redis.Cmder) error
}) map[string]int64 {
	t.Helper()
	cmd := redis.NewStringCmd(context.Background(), "info", "commandstats")
	_ = c.Process(context.Background(), cmd)
	text, err := cmd.Result()
	if err != nil {
		t.Fatalf("INFO commandstats: %s", Explain(err))
	}
	calls := map[string]int64{}
	for k, v := range ParseInfo(text).Raw {
		if name, ok := strings.CutPrefix(k, "cmdstat_"); ok {
			calls[name] = atoi(fields(v)["calls"])
		}
	}
	return calls
}

func pollConfig(ep runbook.Endpoint) *runbook.Config {
	return &runbook.Config{PollInterval: runbook.Duration{Duration: time.Second}, Source: ep}
}

func TestPollerSendsOneInfoPerPoll(t *testing.T) {
	t.Parallel()
	r := redisPW(t, "pw")
	p := SourcePoller(pollConfig(source(r.Addr(), "pw")))
	defer p.Close()
	ctx := context.Background()
	if s := p.Poll(ctx); s.Err != nil || s.Info.Role != "master" || s.Addr != r.Addr() || s.Latency <= 0 {
		t.Fatalf("first poll: %+v", s)
	}
	stats := Client(source(r.Addr(), "pw"), "stats")
	defer stats.Close()
	before := commandCalls(t, stats)
	const polls = 5
	for range polls {
		if s := p.Poll(ctx); s.Err != nil {
			t.Fatalf("poll: %s", Explain(s.Err))
		}
	}
	after := commandCalls(t, stats)
	want := maps.Clone(before)
	want["info"] += polls + 1 // and the stats read itself
	if !maps.Equal(after, want) {
		t.Fatalf("commands during %d polls: before %v, after %v", polls, before, after)
	}
}

func TestPollerReportsDownAndRecovers(t *testing.T) {
	t.Parallel()
	r := labtest.Redis(t, labtest.WithPassword("pw"))
	p := SourcePoller(pollConfig(source(r.Addr(), "pw")))
	defer p.Close()
	ctx := context.Background()
	first := p.Poll(ctx)
	if first.Err != nil {
		t.Fatal(first.Err)
	}
	r.Stop()
	s := p.Poll(ctx)
	if s.Err == nil {
		t.Fatal("poll of a stopped server answered")
	}
	if got := Explain(s.Err); !strings.Contains(got, r.Addr()) {
		t.Fatalf("explained as %q", got)
	}
	if p.Poll(ctx).Err == nil {
		t.Fatal("second poll of a stopped server answered")
	}
	// Same address again: the poller reconnects by itself.
	r2 := labtest.Redis(t, labtest.WithPassword("pw"), labtest.WithHost(r.Host), labtest.WithPort(r.Port))
	s = p.Poll(ctx)
	if s.Err != nil || s.Info.RunID == first.Info.RunID {
		t.Fatalf("after restart on %s: %+v", r2.Addr(), s.Err)
	}
}

func TestPollerFollowsSentinelPrimary(t *testing.T) {
	t.Parallel()
	tp := labtest.Sentinel(t)
	cfg := &runbook.Config{PollInterval: runbook.Duration{Duration: time.Second}, Target: runbook.Target{
		Endpoint: runbook.Endpoint{Kind: "sentinel", URL: "redis://" + tp.Primary.Addr(), Secret: runbook.Secret{Value: tp.Password}},
	}}
	proxy := countingProxy(t, tp.SentinelAddrs()[0])
	cfg.Target.Sentinel = runbook.Sentinel{Master: tp.Master, Addrs: []string{proxy.addr}}
	p := TargetPoller(cfg)
	defer p.Close()
	ctx := context.Background()
	s := p.Poll(ctx)
	if s.Err != nil || s.Addr != tp.Primary.Addr() || !s.Info.IsPrimary() {
		t.Fatalf("first poll: %+v", s)
	}
	if len(s.Info.Slaves) != 1 || s.Info.Slaves[0].Addr() != tp.Replica.Addr() || s.Info.Slaves[0].State != "online" {
		t.Fatalf("replica link: %+v", s.Info.Slaves)
	}

	// Steady state: one INFO on the primary per poll, and no sentinel is
	// asked (each ask dials a sentinel through the counting proxy).
	stats := Client(cfg.Target.Endpoint, "stats")
	defer stats.Close()
	before := commandCalls(t, stats)
	// Two dials so far: the ask, and the +switch-master subscription.
	for deadline := time.Now().Add(5 * time.Second); proxy.dials.Load() < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d dials to the sentinel, want the ask and the subscription", proxy.dials.Load())
		}
	}
	dialsBefore := proxy.dials.Load()
	for range 3 {
		if s := p.Poll(ctx); s.Err != nil {
			t.Fatal(s.Err)
		}
	}
	want := maps.Clone(before)
	want["info"] += 3 + 1
	after := commandCalls(t, stats)
	// The sentinels PING the primary every second and PUBLISH hellos
	// every two on their own: on a busy machine one lands in the window.
	for _, own := range []string{"ping", "publish"} {
		want[own] = after[own]
	}
	if !maps.Equal(after, want) {
		t.Fatalf("commands on the primary during 3 polls: before %v, after %v", before, after)
	}
	if n := proxy.dials.Load() - dialsBefore; n != 0 {
		t.Fatalf("sentinels dialed %d times during steady polls", n)
	}

	sc := SentinelClient(cfg.Target, tp.SentinelAddrs()[1], "test")
	defer sc.Close()
	if err := sc.Failover(ctx, tp.Master).Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER: %v", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		s = p.Poll(ctx)
		if s.Err == nil && s.Addr == tp.Replica.Addr() && s.Info.IsPrimary() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("poller still on %s (%v)", s.Addr, s.Err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if proxy.dials.Load() == dialsBefore {
		t.Fatal("followed the failover without asking a sentinel")
	}
}

func TestPollTimeout(t *testing.T) {
	for _, c := range []struct{ interval, want time.Duration }{
		{0, DefaultTimeout},
		{200 * time.Millisecond, 500 * time.Millisecond},
		{time.Second, 900 * time.Millisecond},
		{2 * time.Second, 1800 * time.Millisecond},
		{10 * time.Second, DefaultTimeout},
	} {
		if got := PollTimeout(c.interval); got != c.want {
			t.Errorf("PollTimeout(%v) = %v, want %v", c.interval, got, c.want)
		}
	}
}
