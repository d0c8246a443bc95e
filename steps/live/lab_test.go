package live

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab"
	"github.com/cutover/cutover/lab/app"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/dnsswap"
	"github.com/cutover/cutover/steps/parity"
)

// TestLiveStrategyOnTheLab runs the live path on the practice lab while
// its application writes through the name: migrate.live, migrate.parity,
// build.dns and cutover.cname, which must drain, swap, wait for the
// application to move and stop the sync, losing no acknowledged write.
func TestLiveStrategyOnTheLab(t *testing.T) {
	labtest.AWSEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	l, err := lab.Start(ctx, lab.Options{Dir: t.TempDir(), Keys: 2000})
	must(t, err)
	t.Cleanup(func() { l.Close() })
	cfg, err := runbook.LoadConfig(l.ConfigPath, os.Getenv)
	must(t, err)
	cfg.Thresholds.LiveClients.Duration = 90 * time.Second // the app replaces its connections every 30 s
	st := runbook.NewState(runbook.New(), cfg.Source.Kind, cfg.Target.Kind)
	st.Steps[runbook.MigrateStrategy] = runbook.StepState{Status: runbook.Done, Choice: "live"}
	svc := NewService()
	svc.SetLog(t.Logf)
	t.Cleanup(svc.Close)
	ex := Executors(svc)
	env := &runbook.Env{Config: cfg, State: &st, Operator: "alice", Options: map[string]string{}, Log: t.Logf}
	step := func(id runbook.StepID, e runbook.Executor) runbook.Result {
		t.Helper()
		if _, err := e.Plan(ctx, env); err != nil {
			t.Fatalf("%s plan: %v", id, err)
		}
		last := ""
		res, err := e.Run(ctx, env, func(p runbook.Progress) {
			if m, _, _ := strings.Cut(p.Message, ";"); m != last {
				last = m
				t.Logf("%s: %s", id, p.Message)
			}
		})
		if err != nil || !res.OK {
			t.Fatalf("%s: %v %+v", id, err, res)
		}
		t.Logf("%s: %s", id, res.Summary)
		st.Facts.Record(id, res.Outputs)
		return res
	}

	step(runbook.MigrateLive, ex[runbook.MigrateLive])
	if s, ok := svc.Stats(); !ok || s.Phase != "streaming" || !s.LagKnown || s.Lag >= time.Second {
		t.Fatalf("after migrate.live the sync is %s", s)
	}
	step(runbook.MigrateParity, parity.Executors()[runbook.MigrateParity])
	step(runbook.BuildDNS, dnsswap.Executors()[runbook.BuildDNS])
	time.Sleep(time.Second) // some application writes go through the sync
	res := step(runbook.CutoverCname, ex[runbook.CutoverCname])
	for _, want := range []string{"writes paused on the source", "of those, equal on both sides", "application clients on the source", "live sync stopped", "acknowledged writes lost"} {
		if !hasEvidence(res, want) {
			t.Errorf("cutover.cname has no %q evidence: %+v", want, res.Evidence)
		}
	}
	if _, running := svc.Stats(); running {
		t.Fatal("the sync still runs after cutover.cname")
	}
	if s := l.App.Status(); s.Conns[l.Source.Addr()] != 0 || s.Conns[l.Target.Addr()] == 0 {
		t.Fatalf("the application is not on the target: %v", s.Conns)
	}
	// Every write the application had acknowledged on the source is on the
	// target: its value (a ms timestamp) there is the same or newer.
	lost, checked := lostWrites(t, cfg, l.Target.Addr())
	t.Logf("application writes checked: %d keys, %d lost", checked, lost)
	if lost != 0 || checked == 0 {
		t.Fatalf("%d of %d application keys lost their last write", lost, checked)
	}
}

func lostWrites(t *testing.T, cfg *runbook.Config, target string) (lost, checked int) {
	ctx := context.Background()
	src := probes.Client(cfg.Source, "test")
	defer src.Close()
	dst := probes.Client(cfg.Target.Endpoint, "test", probes.Addr(target))
	defer dst.Close()
	it := src.Scan(ctx, 0, "app:"+app.ClientName+":*", 1000).Iterator()
	for it.Next(ctx) {
		k := it.Val()
		sv, err := src.Get(ctx, k).Int64()
		if err != nil {
			continue // expired meanwhile
		}
		checked++
		if tv, err := dst.Get(ctx, k).Int64(); err != nil || tv < sv {
			if err != redis.Nil || src.Exists(ctx, k).Val() == 1 {
				lost++
				t.Logf("lost: %s source %d target %d (%v)", k, sv, tv, err)
			}
		}
	}
	must(t, it.Err())
	return lost, checked
}

func hasEvidence(res runbook.Result, name string) bool {
	for _, e := range res.Evidence {
		if strings.HasPrefix(e.Name, name) {
			return true
		}
	}
	return false
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
