package servers

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long Stop waits for a graceful exit before SIGKILL.
const stopGrace = 5 * time.Second

// process is one redis-server or redis-sentinel child in its own process
// group, killed by the kernel if this process dies.
type process struct {
	name    string // binary name, for messages
	cmd     *exec.Cmd
	pidFile string
	logFile string
	outFile string // stdout/stderr: config errors land here, not in logFile
	done    chan struct{}
	waitErr error
	stopMu  sync.Mutex
}

// spawn starts binary with args in dir, records its pid in pidFile and reaps
// it in the background. env is added to this process's environment (for
// secrets, which never go on a command line where ps shows them).
func spawn(binary, dir, pidFile, logFile string, env []string, args ...string) (*process, error) {
	path, err := lookBinary(binary)
	if err != nil {
		return nil, err
	}
	outFile := filepath.Join(dir, binary+".out")
	out, err := os.OpenFile(outFile, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	defer out.Close() // the child keeps its own descriptor

	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := startChild(cmd); err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	p := &process{name: binary, cmd: cmd, pidFile: pidFile, logFile: logFile, outFile: outFile, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	// Written by us as well as by the server: the server writes it only once
	// started, and a crash of ours before that must still leave a trace.
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		p.abort()
		return nil, fmt.Errorf("write pid file: %w", err)
	}
	return p, nil
}

// Pid returns the child's process id.
func (p *process) Pid() int { return p.cmd.Process.Pid }

// exited reports whether the child has exited and been reaped.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the child's process group (the server and any
// BGSAVE/rewrite child it forked). A reaped child is left alone: its pid may
// already belong to someone else.
func (p *process) signal(sig syscall.Signal) error {
	if p.exited() {
		return fmt.Errorf("%s (pid %d) has exited", p.name, p.Pid())
	}
	if err := syscall.Kill(-p.Pid(), sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %s (pid %d): %w", p.name, p.Pid(), err)
	}
	return nil
}

func (p *process) kill() {
	_ = p.signal(syscall.SIGKILL)
}

// abort ends a child that failed to start: SIGKILL, reap, no pid file left.
func (p *process) abort() {
	p.kill()
	<-p.done
	p.removePidFile()
}

// removePidFile removes the pid file if it still names this process: a
// server started again from the same config (the failover drill restarts a
// killed primary) has written its own pid there, and KillStale needs it.
func (p *process) removePidFile() {
	data, err := os.ReadFile(p.pidFile)
	if err == nil && strings.TrimSpace(string(data)) != strconv.Itoa(p.cmd.Process.Pid) {
		return
	}
	_ = os.Remove(p.pidFile)
}

// Kill sends SIGKILL and returns at once; Wait reaps. Killing an exited
// process is not an error.
func (p *process) Kill() error {
	if p.exited() {
		return nil
	}
	return p.signal(syscall.SIGKILL)
}

// Freeze stops the server with SIGSTOP: it stays alive but answers nothing,
// like a hung host.
func (p *process) Freeze() error { return p.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen server with SIGCONT.
func (p *process) Thaw() error { return p.signal(syscall.SIGCONT) }

// Wait blocks until the child has exited and returns its exit status.
func (p *process) Wait() error {
	<-p.done
	return p.waitErr
}

// Done is closed when the child has exited.
func (p *process) Done() <-chan struct{} { return p.done }

// stop asks gracefully (graceful may be nil), then SIGKILLs after stopGrace,
// waits for the exit and removes the pid file. Safe to call more than once.
func (p *process) stop(graceful func()) {
	p.stopMu.Lock()
	defer p.stopMu.Unlock()
	if !p.exited() {
		_ = p.signal(syscall.SIGCONT) // a frozen server cannot shut down
		if graceful != nil {
			graceful()
		}
		select {
		case <-p.done:
		case <-time.After(stopGrace):
			p.kill()
			<-p.done
		}
	}
	p.removePidFile()
}

// logTail returns the last lines of the server's log and output files as one
// line, for error messages.
func (p *process) logTail() string {
	tail := lastLines(p.outFile, 3)
	tail = append(tail, lastLines(p.logFile, 5)...)
	if len(tail) == 0 {
		return "(log empty)"
	}
	return joinTail(tail)
}
