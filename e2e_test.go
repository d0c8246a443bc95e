package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The end-to-end tests drive the real binary: built once, run against a
// real lab (`cutover lab serve`), and for the console inside tmux.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cutover-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "cutover")
	code := 1
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// startLab runs `cutover lab serve` (with flags, e.g. --serverless) and
// returns the config path; the lab is stopped with SIGTERM at cleanup.
func startLab(t *testing.T, keys string, flags ...string) (dir, config string) {
	t.Helper()
	dir = t.TempDir()
	cmd := exec.Command(binary, append([]string{"lab", "serve", "--dir", filepath.Join(dir, "lab"), "--keys", keys}, flags...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Error("lab serve did not stop within 20 s of SIGTERM")
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "lab ready: "); ok {
				ready <- p
			}
		}
	}()
	select {
	case config = <-ready:
	case <-time.After(60 * time.Second):
		t.Fatalf("lab not ready in 60 s; stderr:\n%s", stderr.String())
	}
	return dir, config
}

// tmux runs the console in a private tmux server.
type tmux struct {
	t    *testing.T
	sock string
}

func newTmux(t *testing.T, w, h int, command string) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: make test installs it (apt-get install tmux)")
	}
	// The test's own temporary directory names the socket: parallel tests
	// each get their server (the numbered subdirectories repeat).
	tm := &tmux{t: t, sock: "cutover-e2e-" + filepath.Base(filepath.Dir(t.TempDir()))}
	tm.run("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), command)
	tm.run("set", "-g", "escape-time", "10")
	t.Cleanup(func() { exec.Command("tmux", "-L", tm.sock, "kill-server").Run() })
	return tm
}

func (tm *tmux) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.sock}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tm *tmux) screen() string { return tm.run("capture-pane", "-p", "-t", "e2e") }

func (tm *tmux) keys(keys ...string) { tm.run(append([]string{"send-keys", "-t", "e2e"}, keys...)...) }

// waitScreen polls the screen until ok accepts it.
func (tm *tmux) waitScreen(what string, timeout time.Duration, ok func(string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := tm.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("waiting for %s; screen:\n%s", what, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var opsLine = regexp.MustCompile(`ops/s\s+([0-9][0-9.]*k?)`)

func TestConsoleOnLab(t *testing.T) {
	_, config := startLab(t, "2000")
	tm := newTmux(t, 160, 48, "CUTOVER_OPERATOR=alice TERM=xterm-256color "+binary+" tui --config "+config)
	// Live numbers in both panes: two ops/s figures once rates exist.
	tm.waitScreen("live ops/s in both INFO panes", 30*time.Second, func(s string) bool {
		return len(opsLine.FindAllString(s, -1)) >= 2
	})
	// Run build.reachable from the keyboard.
	for i := 0; i < 10; i++ {
		tm.keys("j")
	}
	tm.waitScreen("build.reachable focused", 5*time.Second, func(s string) bool { return strings.Contains(s, "Target reachable with auth") })
	tm.keys("Enter")
	journal := filepath.Join(filepath.Dir(config), "cutover.journal")
	tm.waitJournal(journal, "build.reachable", 30*time.Second)
	tm.waitScreen("the check's result on screen", 10*time.Second, func(s string) bool { return strings.Contains(s, "PASS") })
	tm.keys("q")
}

// waitJournal waits until the journal records step's success, failing
// with the screen after timeout.
func (tm *tmux) waitJournal(journal, step string, timeout time.Duration) {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	for !journalHas(tm.t, journal, step, "succeed") {
		if time.Now().After(deadline) {
			tm.t.Fatalf("the journal has no succeed for %s; screen:\n%s", step, tm.screen())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func journalHas(t *testing.T, path, step, typ string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		var ev struct{ Step, Type string }
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Step == step && ev.Type == typ {
			return true
		}
	}
	return false
}

// A step killed mid-run comes back interrupted and nothing re-runs by
// itself.
func TestKilledRunIsInterrupted(t *testing.T) {
	_, config := startLab(t, "0")
	cli := func(args ...string) (string, int) {
		cmd := exec.Command(binary, append(args, "--config", config)...)
		cmd.Env = append(os.Environ(), "CUTOVER_OPERATOR=alice")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return string(out), code
	}
	if out, code := cli("run", "inventory.discover", "--skip", "--reason", "e2e: straight to the baseline"); code != 0 {
		t.Fatalf("skip: exit %d\n%s", code, out)
	}
	// The baseline samples for thresholds.baseline_window: long enough to
	// kill it in the middle.
	run := exec.Command(binary, "run", "inventory.baseline", "--config", config)
	run.Env = append(os.Environ(), "CUTOVER_OPERATOR=alice")
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(filepath.Dir(config), "cutover.journal")
	deadline := time.Now().Add(20 * time.Second)
	for !journalHas(t, journal, "inventory.baseline", "start") {
		if time.Now().After(deadline) {
			run.Process.Kill()
			t.Fatal("inventory.baseline never started")
		}
		time.Sleep(50 * time.Millisecond)
	}
	run.Process.Kill() // SIGKILL: no chance to record anything
	run.Wait()
	out, code := cli("status", "--json")
	if code != 0 {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, `"id": "inventory.baseline",`) || stateOf(t, out, "inventory.baseline") != "interrupted" {
		t.Fatalf("inventory.baseline is not interrupted:\n%s", out)
	}
	// Opening the journal to drive it records the interruption and runs
	// nothing: a decision recorded now leaves the baseline interrupted.
	if out, code := cli("run", "inventory.tls", "--choice", "plaintext", "--reason", "lab"); code != 0 {
		t.Fatalf("decide: exit %d\n%s", code, out)
	} else if !strings.Contains(out, "interrupted") {
		t.Fatalf("no note about the interrupted step:\n%s", out)
	}
	if !journalHas(t, journal, "inventory.baseline", "interrupted") {
		t.Fatal("the interruption was not recorded")
	}
	out, _ = cli("status", "--json")
	if got := stateOf(t, out, "inventory.baseline"); got != "interrupted" {
		t.Fatalf("inventory.baseline is %s after reopening", got)
	}
}

func stateOf(t *testing.T, statusJSON, id string) string {
	t.Helper()
	var st struct {
		Steps []struct{ ID, State string }
	}
	if err := json.Unmarshal([]byte(statusJSON), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, statusJSON)
	}
	for _, s := range st.Steps {
		if s.ID == id {
			return s.State
		}
	}
	t.Fatalf("no step %s in status --json", id)
	return ""
}
