package load

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/runbook"
)

func env(t *testing.T, target runbook.Target, file string, opts map[string]string) *runbook.Env {
	t.Helper()
	dir := t.TempDir()
	cfg := &runbook.Config{Dir: dir, Journal: filepath.Join(dir, "cutover.journal"),
		Source:     runbook.Endpoint{Kind: "redis", URL: "redis://127.0.0.1:1"},
		Target:     target,
		Thresholds: runbook.Thresholds{ParityTolerance: 0.001}}
	st := runbook.NewState(runbook.New(), "redis", target.Kind)
	st.Facts[runbook.SnapshotFile] = file
	return &runbook.Env{Config: cfg, State: &st, Operator: "alice", Options: opts, Log: t.Logf}
}

func standalone(r *servers.Redis) runbook.Target {
	return runbook.Target{Endpoint: runbook.Endpoint{Kind: "standalone", URL: "redis://" + r.Addr(), Secret: runbook.Secret{Value: r.Password}}}
}

func keyspace(t *testing.T, r *servers.Redis) string {
	t.Helper()
	c := client(r, 0)
	defer c.Close()
	return strings.TrimSpace(strings.TrimPrefix(c.Info(context.Background(), "keyspace").Val(), "# Keyspace"))
}

// A corrupt or truncated file is refused before anything is written.
func TestRunRefusesBadFiles(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile(filepath.Join(labtest.RDBTestdata(t), "redis-7.2.6.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	flipped := slices.Clone(good)
	flipped[len(flipped)/2] ^= 0x5a
	dst := labtest.Redis(t, labtest.WithPassword("pw"))
	for name, data := range map[string][]byte{"corrupt": flipped, "truncated": good[:len(good)*2/3]} {
		path := filepath.Join(t.TempDir(), name+".rdb")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := (&Executor{}).Run(context.Background(), env(t, standalone(dst), path, nil), func(runbook.Progress) {})
		if err == nil || !strings.Contains(err.Error(), "refusing to load") || !strings.Contains(err.Error(), "offset") || !strings.Contains(err.Error(), "nothing was written") {
			t.Fatalf("%s: want a refusal naming the offset, got %v", name, err)
		}
		if ks := keyspace(t, dst); ks != "" {
			t.Fatalf("%s: the refused load wrote to the target: %s", name, ks)
		}
	}
}

func TestRunPlanAndResume(t *testing.T) {
	t.Parallel()
	path := filepath.Join(labtest.RDBTestdata(t), "redis-7.2.6.rdb")
	dst := labtest.Redis(t, labtest.WithPassword("pw"))
	c := client(dst, 0)
	defer c.Close()
	c.Set(context.Background(), "str:short", "left by a failed load", 0)

	e := env(t, standalone(dst), path, nil)
	p, err := (&Executor{}).Plan(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if p.Resource != dst.Addr() || !slices.ContainsFunc(p.Calls, func(c string) bool { return strings.Contains(c, "RESTORE key expiry payload ABSTTL") }) {
		t.Fatalf("plan %+v", p)
	}
	if strings.Contains(strings.Join(append(p.Calls, p.Summary), " "), "pw") {
		t.Fatal("the plan shows the password")
	}
	if _, err := (&Executor{}).Run(context.Background(), e, func(runbook.Progress) {}); err == nil || !strings.Contains(err.Error(), "already holds keys") {
		t.Fatalf("a fresh load into a non-empty target must be refused, got %v", err)
	}

	// After a failed run the same options overwrite: the re-run converges.
	e.State.Steps[StepID] = runbook.StepState{Status: runbook.Pending, Runs: 1, Error: "target went away"}
	p, err = (&Executor{}).Plan(context.Background(), e)
	if err != nil || !strings.Contains(strings.Join(p.Warnings, " "), "previous load did not finish") {
		t.Fatalf("plan after a failed run: %+v, %v", p, err)
	}
	res, err := (&Executor{}).Run(context.Background(), e, func(runbook.Progress) {})
	if err != nil || !res.OK {
		t.Fatalf("resumed run: %+v, %v", res, err)
	}
	if res.Outputs["keys"] != "65" || res.Outputs["native"] == "0" {
		t.Fatalf("outputs %v", res.Outputs)
	}
	v, err := (&Executor{}).Verify(context.Background(), e)
	if err != nil || !v.OK {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	c.FlushAll(context.Background())
	v, err = (&Executor{}).Verify(context.Background(), e)
	if err != nil || v.OK {
		t.Fatalf("verify of an emptied target passed: %+v, %v", v, err)
	}
}

// processManager restarts a server after it exits, as systemd would, after
// a pause.
func processManager(t *testing.T, r *servers.Redis, cfg servers.RedisConfig, pause time.Duration) {
	go func() {
		<-r.Done()
		time.Sleep(pause)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		back, err := servers.StartRedis(ctx, cfg)
		if err != nil {
			t.Errorf("process manager: %v", err)
			return
		}
		t.Cleanup(back.Stop)
	}()
}

func TestRunRestartMethod(t *testing.T) {
	t.Parallel()
	src, _ := seeded(t, 3000)
	file := snapshotOf(t, src)
	dst := labtest.Redis(t, labtest.WithPassword("pw"))
	target := standalone(dst)

	target.DataDir = ""
	if _, err := (&Executor{}).Plan(context.Background(), env(t, target, file, map[string]string{"method": "restart"})); err == nil || !strings.Contains(err.Error(), "target.data_dir") {
		t.Fatalf("want a plan error naming target.data_dir, got %v", err)
	}
	target.DataDir = dst.Dir
	e := env(t, target, file, map[string]string{"method": "restart"})
	p, err := (&Executor{}).Plan(context.Background(), e)
	if err != nil || !strings.Contains(strings.Join(p.Warnings, " "), "process manager") {
		t.Fatalf("plan %+v, %v", p, err)
	}
	processManager(t, dst, servers.RedisConfig{Dir: dst.Dir, Host: dst.Host, Port: dst.Port, Password: dst.Password}, 0)
	res, err := (&Executor{}).Run(context.Background(), e, func(runbook.Progress) {})
	if err != nil || !res.OK {
		t.Fatalf("restart: %+v, %v", res, err)
	}
	back := &servers.Redis{Host: dst.Host, Port: dst.Port, Password: dst.Password}
	sameData(t, src, back, 0, 3)
}

// With a sentinel target the restart holds off failover: the primary is
// down longer than down-after-milliseconds, yet stays the primary.
func TestRunRestartHoldsOffFailover(t *testing.T) {
	t.Parallel()
	tp := labtest.Sentinel(t)
	src := labtest.Redis(t)
	c := client(src, 0)
	c.Set(context.Background(), "placed", "by restart", 0)
	c.Close()
	file := snapshotOf(t, src)

	target := runbook.Target{Endpoint: runbook.Endpoint{Kind: "sentinel", URL: "redis://" + tp.Primary.Addr(), Secret: runbook.Secret{Value: tp.Password}},
		Sentinel: runbook.Sentinel{Master: tp.Master, Addrs: tp.SentinelAddrs()}, DataDir: tp.Primary.Dir}
	e := env(t, target, file, map[string]string{"method": "restart"})
	p := tp.Primary
	processManager(t, p, servers.RedisConfig{Dir: p.Dir, Host: p.Host, Port: p.Port, Password: p.Password, MasterAuth: p.Password}, 3*tp.DownAfter)
	res, err := (&Executor{}).Run(context.Background(), e, func(runbook.Progress) {})
	if err != nil || !res.OK {
		t.Fatalf("restart: %+v, %v", res, err)
	}
	pc := client(p, 0)
	defer pc.Close()
	if pc.Get(context.Background(), "placed").Val() != "by restart" {
		t.Fatal("the restarted primary does not hold the placed file's key")
	}
	for _, s := range tp.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr()})
		m, err := sc.Master(context.Background(), tp.Master).Result()
		sc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if m["ip"]+":"+m["port"] != p.Addr() || m["down-after-milliseconds"] != "1500" {
			t.Fatalf("sentinel %s: master %s:%s, down-after %s; want %s and 1500 restored", s.Addr(), m["ip"], m["port"], m["down-after-milliseconds"], p.Addr())
		}
	}
}
