package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"go.uber.org/goleak"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// No goroutine outlives the console: with real pollers on a real source
// and a Sentinel target (so the +switch-master watchers run), a step run
// in progress, a CloudWatch read in flight and the live sync's log open,
// Close cancels everything and waits for it.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	src := labtest.Redis(t, labtest.WithPassword("src-pw"))
	tp := labtest.Sentinel(t)
	cfg := testConfig(t, "")
	cfg.PollInterval.Duration = 200 * time.Millisecond
	cfg.Source.URL, cfg.Source.Secret.Value = "redis://"+src.Addr(), "src-pw"
	cfg.Target.URL, cfg.Target.Secret.Value = "redis://"+tp.Primary.Addr(), tp.Password
	cfg.Target.Sentinel = runbook.Sentinel{Master: tp.Master, Addrs: tp.SentinelAddrs()}
	// The servers and the test's own goroutines were there before.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	rb := runbook.New()
	block := &fakeExec{resource: "cache.lab.internal", block: make(chan struct{}), res: runbook.Result{OK: true}}
	if err := rb.Attach(map[runbook.StepID]runbook.Executor{"build.reachable": block}); err != nil {
		t.Fatal(err)
	}
	eng, _, err := runbook.Open(cfg, rb, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	cw := make(chan struct{})
	m := New(context.Background(), Options{Engine: eng, Operator: "alice",
		Source:  NewPane("source", probes.SourcePoller(cfg), cfg.PollInterval.Duration),
		Target:  NewPane("target", probes.TargetPoller(cfg), cfg.PollInterval.Duration),
		Mapping: NewMapping(probes.Mapping{}, func(ctx context.Context) (map[string]float64, error) { close(cw); <-ctx.Done(); return nil, ctx.Err() }),
		LiveLog: make(chan string)})
	f := &fixture{inbox: make(chan tea.Msg, 256), m: m, eng: eng}
	f.m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	f.deliver(m.Init()())
	<-cw
	waitFor(t, func() bool { return m.src.hist.Len() >= 2 && m.tgt.hist.Len() >= 2 }, f)
	if m.src.hist.Err() != nil || m.tgt.hist.Err() != nil || m.tgt.addr != tp.Primary.Addr() {
		t.Fatalf("the panes did not poll the servers:\n%s", f.screen())
	}
	f.focus("build.reachable")
	f.press(t, "enter")
	waitFor(t, func() bool { return f.eng.State().Get("build.reachable").Status == runbook.Running }, f)

	m.Close()
	if st := eng.State().Get("build.reachable"); st.Status != runbook.Failed {
		t.Fatalf("the step left running is %s after Close, want failed (cancelled)", st.Status)
	}
}

// A cluster target's pane on a real cluster: every node polled, the
// header from CLUSTER INFO, and Close leaves no goroutine and no node's
// connection behind.
func TestClusterPaneOnARealCluster(t *testing.T) {
	c := labtest.Cluster(t, 3, 1, labtest.WithPassword("cl-pw"))
	cfg := testConfig(t, "")
	cfg.PollInterval.Duration = 200 * time.Millisecond
	cfg.Target.Kind, cfg.Target.Sentinel = "cluster", runbook.Sentinel{}
	cfg.Target.URL, cfg.Target.Secret.Value = "redis://"+c.Primaries[0].Addr(), "cl-pw"
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	eng, _, err := runbook.Open(cfg, runbook.New(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	m := New(context.Background(), Options{Engine: eng, Operator: "alice",
		Source:  NewPane("source", nil, cfg.PollInterval.Duration), // not configured
		Target:  NewClusterPane("target", probes.TargetClusterPoller(cfg), cfg.PollInterval.Duration),
		Mapping: NewMapping(probes.Mapping{}, nil)})
	f := &fixture{inbox: make(chan tea.Msg, 256), m: m, eng: eng}
	f.m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	f.deliver(m.Init()())
	waitFor(t, func() bool { return len(m.tgt.cluster.last.Nodes) == 6 && m.tgt.hist.Len() >= 2 }, f)
	if s := f.screen(); !strings.Contains(s, "cluster_state ok · slots 16384/16384") || !strings.Contains(s, "shard 1/3") {
		t.Fatalf("no cluster header:\n%s", s)
	}
	m.Close()
	for _, n := range c.Nodes() {
		s := probes.Client(cfg.Target.Endpoint, "check", probes.Addr(n.Addr()))
		deadline := time.Now().Add(2 * time.Second)
		for {
			list, err := s.ClientList(context.Background()).Result()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(list, "name=cutover-poller") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still has the pane's connection after Close:\n%s", n.Addr(), list)
			}
			time.Sleep(20 * time.Millisecond)
		}
		s.Close()
	}
}
