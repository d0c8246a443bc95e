package servers

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// KillStale kills the servers named by pid files in dir that a previous run
// left behind (a crash of the parent, a SIGKILLed test). StartRedis and
// StartSentinel call it; call it yourself before removing such a dir. A pid
// is only killed while it still is a redis-server/redis-sentinel/exporter and, when
// its working directory is readable, one working in dir: pids get reused.
func KillStale(dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.pid"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err == nil && pid > 1 && isOurServer(pid, dir) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			waitGone(pid, 3*time.Second)
		}
		_ = os.Remove(f)
	}
}

func isOurServer(pid int, dir string) bool {
	if !isRedisProcess(pid) {
		return false
	}
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	if err != nil {
		return true // not ours to inspect (permissions): the name must do
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return cwd == abs
}

// isRedisProcess reads /proc/PID/cmdline. Redis rewrites its process title
// ("/usr/bin/redis-server 127.0.10.1:6379"), so only the first word counts.
func isRedisProcess(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	fields := strings.Fields(strings.ReplaceAll(string(data), "\x00", " "))
	if len(fields) == 0 {
		return false // a zombie has an empty cmdline
	}
	switch filepath.Base(fields[0]) {
	case "redis-server", "redis-sentinel", ExporterBinary:
		return true
	}
	return false
}

// waitGone waits until pid has exited (a zombie counts as gone: its parent,
// not us, must reap it, and it holds no port).
func waitGone(pid int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// The state follows the parenthesised command name, which may hold spaces.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return true
	}
	return s[i+2] != 'Z'
}
