package runbook

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const lockHelperEnv = "RUNBOOK_TEST_LOCK_HELPER"

// TestHelperProcess is not a test: re-executed by TestLockAcrossProcesses,
// it takes the lock of the journal named in its environment, says so, and
// holds it until it is killed (or gives up after a while, so a crashed
// parent leaves nothing behind).
func TestHelperProcess(t *testing.T) {
	journal := os.Getenv(lockHelperEnv)
	if journal == "" {
		return
	}
	if _, err := AcquireLock(journal, "helper-op"); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(30 * time.Second)
	os.Exit(0)
}

func wantLockedBy(t *testing.T, err error, journal string, pid int, operator string) {
	t.Helper()
	var le *LockedError
	if !errors.As(err, &le) || le.Holder == nil {
		t.Fatalf("got %v, want a LockedError naming the holder", err)
	}
	h := le.Holder
	host, _ := os.Hostname()
	if h.PID != pid || h.Operator != operator || h.Host != host || time.Since(h.Since) > time.Minute || time.Since(h.Since) < 0 {
		t.Fatalf("holder %+v, want pid %d, operator %s, host %s, since just now", h, pid, operator, host)
	}
	want := fmt.Sprintf("journal %s is driven by %s (pid %d on %s, since %s); close that console first, or attach to its tmux session",
		journal, operator, pid, host, h.Since.Local().Format("2006-01-02 15:04:05"))
	if err.Error() != want {
		t.Fatalf("got  %s\nwant %s", err, want)
	}
}

func TestLockRefusesASecondHolder(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "cutover.journal")
	if h := ReadHolder(journal); h != nil {
		t.Fatalf("nobody holds it yet, ReadHolder says %+v", h)
	}
	first, err := AcquireLock(journal, "alice")
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireLock(journal, "bob")
	wantLockedBy(t, err, journal, os.Getpid(), "alice")
	if h := ReadHolder(journal); h == nil || h.Operator != "alice" {
		t.Fatalf("ReadHolder: %+v", h)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	if h := ReadHolder(journal); h != nil {
		t.Fatalf("after release ReadHolder says %+v", h)
	}
	second, err := AcquireLock(journal, "bob")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	second.Release()
}

func TestLockAcrossProcesses(t *testing.T) {
	cfg := testConfig(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+cfg.Journal)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if strings.TrimSpace(s) != "locked" {
			t.Fatalf("helper said %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the helper did not take the lock within 10 s")
	}

	_, err = AcquireLock(cfg.Journal, op)
	wantLockedBy(t, err, cfg.Journal, cmd.Process.Pid, "helper-op")
	_, _, err = Open(cfg, New(), op)
	wantLockedBy(t, err, cfg.Journal, cmd.Process.Pid, "helper-op")
	if _, err := os.Stat(cfg.Journal); !os.IsNotExist(err) {
		t.Fatal("a refused open touched the journal")
	}

	// The lock dies with its holder: no stale lock file to clean up by hand.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if h := ReadHolder(cfg.Journal); h != nil {
		t.Fatalf("the dead helper still holds the lock: %+v", h)
	}
	e, _ := openEngine(t, cfg, New())
	if h := ReadHolder(cfg.Journal); h == nil || h.PID != os.Getpid() || h.Operator != op {
		t.Fatalf("after taking over, ReadHolder says %+v", h)
	}
	e.Close()
}
