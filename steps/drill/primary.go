package drill

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// primary is the server the drill fails: where it is and, when it runs on
// this machine, its process and how to start it again.
type primary struct {
	addr   string
	pid    int    // INFO process_id
	exe    string // INFO executable
	config string // INFO config_file
	local  bool   // a redis-server process of this machine, reached on loopback
	why    string // why it is not local
}

// inspect reads INFO server of the primary and decides whether it is a
// process of this machine: a loopback address, and /proc/<process_id> is
// a redis-server (or valkey-server).
func inspect(ctx context.Context, t runbook.Target, addr string) (primary, error) {
	c := probes.Client(t.Endpoint, "drill", probes.Addr(addr), probes.PoolSize(1))
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	text, err := c.Info(ctx, "server").Result()
	if err != nil {
		return primary{}, fmt.Errorf("INFO server on the primary %s: %s", addr, probes.Explain(err))
	}
	in := probes.ParseInfo(text)
	p := primary{addr: addr, pid: int(in.ProcessID), exe: in.Raw["executable"], config: in.Raw["config_file"]}
	host, _, _ := net.SplitHostPort(addr)
	switch ip := net.ParseIP(host); {
	case ip == nil || !ip.IsLoopback():
		p.why = addr + " is not a loopback address"
	case p.pid <= 1:
		p.why = "INFO gave no process_id"
	case !isServerProcess(p.pid):
		p.why = fmt.Sprintf("process %d is not a redis-server of this machine (another host or container?)", p.pid)
	default:
		p.local = true
	}
	return p, nil
}

// isServerProcess reads /proc/PID/cmdline; the server rewrites its title,
// so only the first word counts.
func isServerProcess(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	f := strings.Fields(strings.ReplaceAll(string(b), "\x00", " "))
	if len(f) == 0 {
		return false
	}
	switch filepath.Base(f[0]) {
	case "redis-server", "valkey-server":
		return true
	}
	return false
}

func (p primary) signal(sig syscall.Signal) error {
	if !p.local {
		return fmt.Errorf("cannot signal the primary %s: %s", p.addr, p.why)
	}
	if err := syscall.Kill(p.pid, sig); err != nil {
		return fmt.Errorf("%s to the primary (pid %d): %w", sig, p.pid, err)
	}
	return nil
}

// shutdown stops a primary that is not local: SHUTDOWN NOSAVE, so the data
// it had not replicated is lost as in a crash. The server closes the
// connection instead of answering.
func (p primary) shutdown(ctx context.Context, t runbook.Target) error {
	c := probes.Client(t.Endpoint, "drill", probes.Addr(p.addr), probes.PoolSize(1))
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	err := c.ShutdownNoSave(ctx).Err()
	if err == nil || strings.Contains(probes.Explain(err), "closed the connection") {
		return nil
	}
	return fmt.Errorf("SHUTDOWN NOSAVE on the primary %s: %s", p.addr, probes.Explain(err))
}

// restartable says whether a killed local primary can be started again
// from what INFO reported.
func (p primary) restartable() error {
	switch {
	case !p.local:
		return errors.New(p.why)
	case p.exe == "" || p.config == "":
		return fmt.Errorf("INFO server of %s gives no executable or config_file (started without a config file?)", p.addr)
	case !filepath.IsAbs(p.config):
		return fmt.Errorf("INFO server of %s gives a relative config_file %s, whose directory is unknown", p.addr, p.config)
	}
	return nil
}

// restart starts the server again from its config file, detached into its
// own session: it must outlive cutover, as the original did.
func (p primary) restart() (int, error) {
	if err := p.restartable(); err != nil {
		return 0, fmt.Errorf("cannot restart the old primary: %v", err)
	}
	cmd := exec.Command(p.exe, p.config)
	cmd.Dir = filepath.Dir(p.config)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("restart the old primary (%s %s): %w", p.exe, p.config, err)
	}
	go cmd.Wait() // reap it if it exits while cutover runs
	return cmd.Process.Pid, nil
}
