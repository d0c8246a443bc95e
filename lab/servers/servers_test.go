package servers

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func do(t *testing.T, addr string, cmds ...[]string) ([]any, error) {
	t.Helper()
	return roundTrip(context.Background(), addr, 2*time.Second, cmds...)
}

func startRedis(t *testing.T, cfg RedisConfig) *Redis {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	r, err := StartRedis(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

func TestStartRedisWithPassword(t *testing.T) {
	t.Parallel()
	pw := `p"a ss\wörd`
	r := startRedis(t, RedisConfig{Host: PickBlock().Host(1), Password: pw})

	if got, err := do(t, r.Addr(), []string{"AUTH", pw}, []string{"PING"}); err != nil || got[1] != "PONG" {
		t.Fatalf("PING with auth: %v %v", got, err)
	}
	if _, err := do(t, r.Addr(), []string{"PING"}); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Fatalf("PING without auth: want NOAUTH, got %v", err)
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(r.Pid()) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cmdline), "p\"a") {
		t.Fatalf("password visible in cmdline %q", cmdline)
	}
	st, err := os.Stat(filepath.Join(r.Dir, "redis.conf"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("redis.conf mode: %v %v", st.Mode(), err)
	}

	pid := r.Pid()
	r.Stop()
	if alive(pid) {
		t.Fatalf("pid %d still alive after Stop", pid)
	}
	if _, err := os.Stat(filepath.Join(r.Dir, "redis.pid")); !os.IsNotExist(err) {
		t.Fatalf("pid file left after Stop: %v", err)
	}
	r.Stop() // idempotent
}

func TestStartRedisBadConfigReportsLog(t *testing.T) {
	t.Parallel()
	_, err := StartRedis(context.Background(), RedisConfig{Dir: t.TempDir(), Host: PickBlock().Host(1), Port: 0, Extra: []string{"no-such-directive yes"}})
	if err == nil || !strings.Contains(err.Error(), "Bad directive") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("want a one-line error with the log tail naming the bad directive, got %v", err)
	}
}

func TestStartRedisMissingBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := StartRedis(context.Background(), RedisConfig{Dir: t.TempDir(), Host: "127.0.0.1"})
	var mb *MissingBinaryError
	if !errors.As(err, &mb) || mb.Binary != "redis-server" || !strings.Contains(err.Error(), "apt-get install redis-server") {
		t.Fatalf("want MissingBinaryError for redis-server, got %v", err)
	}
	_, err = StartSentinel(context.Background(), SentinelConfig{Dir: t.TempDir(), Host: "127.0.0.1", Master: "m", MasterAddr: "127.0.0.1:1", Quorum: 1})
	if !errors.As(err, &mb) || mb.Binary != "redis-sentinel" {
		t.Fatalf("want MissingBinaryError for redis-sentinel, got %v", err)
	}
}

func TestStaleServerInSameDirIsKilled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	host := PickBlock().Host(1)
	old := startRedis(t, RedisConfig{Dir: dir, Host: host})
	// A new start in the same dir, on the very port the old one holds, as
	// after a crash of the parent that left the server running.
	fresh := startRedis(t, RedisConfig{Dir: dir, Host: host, Port: old.Port})
	select {
	case <-old.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("stale server still running")
	}
	if got, err := do(t, fresh.Addr(), []string{"PING"}); err != nil || got[0] != "PONG" {
		t.Fatalf("fresh server: %v %v", got, err)
	}
}

func TestStalePidFileOfOtherProcessIsIgnored(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sleeper := exec.Command("sleep", "30")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() })
	if err := os.WriteFile(filepath.Join(dir, "redis.pid"), []byte(strconv.Itoa(sleeper.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	startRedis(t, RedisConfig{Dir: dir, Host: PickBlock().Host(1)})
	if !alive(sleeper.Process.Pid) {
		t.Fatal("a non-redis process named by a stale pid file was killed")
	}
}

func TestFreezeThaw(t *testing.T) {
	t.Parallel()
	r := startRedis(t, RedisConfig{Host: PickBlock().Host(1)})
	if err := r.Freeze(); err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(context.Background(), r.Addr(), 300*time.Millisecond, []string{"PING"}); err == nil {
		t.Fatal("frozen server answered PING")
	}
	if err := r.Thaw(); err != nil {
		t.Fatal(err)
	}
	if got, err := do(t, r.Addr(), []string{"PING"}); err != nil || got[0] != "PONG" {
		t.Fatalf("thawed server: %v %v", got, err)
	}
	if err := r.Freeze(); err != nil { // Stop must cope with a frozen server
		t.Fatal(err)
	}
	start := time.Now()
	r.Stop()
	if time.Since(start) > stopGrace+time.Second {
		t.Fatalf("Stop of a frozen server took %s", time.Since(start))
	}
}

func TestSentinelFailsOverToReplica(t *testing.T) {
	t.Parallel()
	b := PickBlock()
	pw := "s3cret"
	primary := startRedis(t, RedisConfig{Host: b.Host(1), Password: pw, MasterAuth: pw})
	replica := startRedis(t, RedisConfig{Host: b.Host(2), Port: primary.Port, Password: pw, MasterAuth: pw, ReplicaOf: primary.Addr()})
	s, err := StartSentinel(context.Background(), SentinelConfig{
		Dir: t.TempDir(), Host: b.Host(3), Master: "mymaster", MasterAddr: primary.Addr(),
		Quorum: 1, DownAfter: time.Second, AuthPass: pw,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	t0 := time.Now()

	// The sentinel must know the replica under its own address before the
	// primary goes, or it has nothing to promote.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := SentinelsReady(ctx, "mymaster", []string{replica.Addr()}, s); err != nil {
		t.Fatal(err)
	}
	t.Logf("replica seen after %s", time.Since(t0))
	if err := primary.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = primary.Wait()
	waitFor(t, 15*time.Second, "failover to the replica", func() bool {
		got, err := do(t, s.Addr(), []string{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"})
		addr, _ := got[0].([]any)
		return err == nil && len(addr) == 2 && addr[0] == replica.Host && addr[1] == strconv.Itoa(replica.Port)
	})
	t.Logf("failover after %s", time.Since(t0))
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

func TestStartAbandonedWithItsContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	_, err := StartRedis(ctx, RedisConfig{Dir: dir, Host: PickBlock().Host(1)})
	if err == nil || !strings.Contains(err.Error(), "abandoned") {
		t.Fatalf("want an abandoned start, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "redis.pid")); !os.IsNotExist(err) {
		t.Fatalf("pid file left by an abandoned start: %v", err)
	}
}

func TestExporterScrapesWithPasswordFromEnvironment(t *testing.T) {
	t.Parallel()
	b := PickBlock()
	pw := "exp0rter-secret"
	r := startRedis(t, RedisConfig{Host: b.Host(1), Password: pw})
	e, err := StartExporter(context.Background(), ExporterConfig{Dir: t.TempDir(), Host: b.Host(2), RedisAddr: r.Addr(), Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(e.Pid()) + "/cmdline")
	if err != nil || strings.Contains(string(cmdline), pw) || !strings.Contains(string(cmdline), r.Addr()) {
		t.Fatalf("command line %q (%v): want the address and no password", cmdline, err)
	}
	if up, err := scrapeUp(context.Background(), http.DefaultClient, e.URL()); err != nil || up != "1" {
		t.Fatalf("redis_up %q %v", up, err)
	}
	e.Stop()
	if !e.exited() {
		t.Fatal("exporter still running after Stop")
	}
}

func TestExporterWrongPasswordFailsToStart(t *testing.T) {
	t.Parallel()
	b := PickBlock()
	r := startRedis(t, RedisConfig{Host: b.Host(1), Password: "right"})
	_, err := StartExporter(context.Background(), ExporterConfig{Dir: t.TempDir(), Host: b.Host(2), RedisAddr: r.Addr(), Password: "wrong", StartTimeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "not ready within 2s") || !strings.Contains(err.Error(), "Couldn't connect to redis instance") {
		t.Fatalf("want a start failure with the exporter's own complaint, got %v", err)
	}
}
