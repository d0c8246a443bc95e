package backup

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
)

// scratch is a throwaway redis-server on this machine that loads a backup
// file: proof that the file restores.
type scratch struct {
	cmd    *exec.Cmd
	done   chan struct{}
	addr   string
	dir    string
	client *redis.Client
}

// rdbName is the file the scratch server loads from its directory.
const rdbName = "dump.rdb"

// startScratch starts redis-server from PATH in dir, which holds rdbName,
// on a free port of 127.0.0.1 with a random password (the file holds the
// real data), and waits until it has loaded the file.
func startScratch(ctx context.Context, dir string, limit time.Duration) (*scratch, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("redis-server is not on PATH: the restore test starts a scratch redis-server on this machine; install it (apt-get install redis-server, or brew install redis)")
	}
	var last error
	for range 3 { // a free port can be taken before the server binds it
		s, err := startOnce(ctx, bin, dir, limit)
		if err == nil || !strings.Contains(err.Error(), "Address already in use") {
			return s, err
		}
		last = err
	}
	return nil, last
}

func startOnce(ctx context.Context, bin, dir string, limit time.Duration) (*scratch, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	password := rand.Text()
	conf := filepath.Join(dir, "redis.conf")
	logFile := filepath.Join(dir, "redis.log")
	// The password goes in a 0600 file, never on the command line.
	lines := []string{"bind 127.0.0.1", "port " + strconv.Itoa(port), "dir " + quote(dir), "dbfilename " + rdbName,
		`save ""`, "appendonly no", "daemonize no", "protected-mode yes", "logfile " + quote(logFile), "requirepass " + password}
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("scratch redis-server config: %w", err)
	}
	s := &scratch{cmd: exec.Command(bin, conf), done: make(chan struct{}), dir: dir, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	s.cmd.Dir = dir
	s.cmd.SysProcAttr = childAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the scratch redis-server (%s): %w", bin, err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	s.client = redis.NewClient(&redis.Options{Addr: s.addr, Password: password, Protocol: 2, DisableIdentity: true,
		DialTimeout: time.Second, ReadTimeout: 5 * time.Second, MaxRetries: -1, PoolSize: 1})
	if err := s.waitLoaded(ctx, limit); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// waitLoaded polls PING until the server answers (it answers LOADING while
// it reads the file), exits, or limit passes.
func (s *scratch) waitLoaded(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		err := s.client.Ping(ctx).Err()
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("the scratch redis-server could not load the backup: %s", s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the scratch redis-server did not finish loading the backup within %s (%s)", limit, probes.Explain(err))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop shuts the server down without saving, kills it if it lingers, and
// removes its files.
func (s *scratch) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = s.client.ShutdownNoSave(ctx).Err()
	cancel()
	s.client.Close()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// logTail is the last lines of the server's log, which say why it failed
// (for example an RDB version it cannot read).
func (s *scratch) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	if len(lines) == 0 || lines[0] == "" {
		return "it exited without a log line"
	}
	return strings.Join(lines, " | ")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("no free port on 127.0.0.1 for the scratch redis-server: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// quote makes a path safe as one redis.conf argument.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
