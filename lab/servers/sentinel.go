package servers

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// SentinelConfig describes one redis-sentinel monitoring one master.
type SentinelConfig struct {
	Dir             string        // owned directory: sentinel.conf (rewritten by sentinel), log, pid
	Host            string        // loopback IP to bind and announce
	Port            int           // 0 picks a free port on Host
	Password        string        // the sentinel's own requirepass; empty for none
	Master          string        // monitored master name, e.g. mymaster
	MasterAddr      string        // host:port of the current primary
	Quorum          int           // sentinels that must agree the master is down
	DownAfter       time.Duration // down-after-milliseconds (lab: ~2s)
	FailoverTimeout time.Duration // failover-timeout (default 10s)
	AuthPass        string        // the monitored servers' password
	Extra           []string      // extra config lines
	StartTimeout    time.Duration // default 15s
}

// Sentinel is a running redis-sentinel child.
type Sentinel struct {
	*process
	Host     string
	Port     int
	Password string
	Master   string
	Dir      string
}

// Addr returns host:port.
func (s *Sentinel) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Stop sends SIGTERM (SIGKILL after a grace) and waits until it is reaped.
// Safe to call more than once.
func (s *Sentinel) Stop() {
	s.stop(func() { _ = s.signal(syscall.SIGTERM) })
}

// StartSentinel writes Dir/sentinel.conf, starts redis-sentinel and waits
// until it answers PING.
func StartSentinel(ctx context.Context, cfg SentinelConfig) (*Sentinel, error) {
	switch {
	case cfg.Host == "":
		return nil, fmt.Errorf("redis-sentinel: no Host given: set a loopback IP such as 127.0.10.4")
	case cfg.Master == "":
		return nil, fmt.Errorf("redis-sentinel: no Master name given: set one such as mymaster")
	case cfg.Quorum < 1:
		return nil, fmt.Errorf("redis-sentinel: Quorum %d: set it to at least 1", cfg.Quorum)
	}
	mhost, mport, err := net.SplitHostPort(cfg.MasterAddr)
	if err != nil {
		return nil, fmt.Errorf("redis-sentinel: MasterAddr %q is not host:port: %v", cfg.MasterAddr, err)
	}
	if err := prepareDir(cfg.Dir); err != nil {
		return nil, err
	}
	return onPort(cfg.Host, cfg.Port, "Address already in use", func(port int) (*Sentinel, error) {
		return startSentinelOnce(ctx, cfg, mhost, mport, port)
	})
}

func startSentinelOnce(ctx context.Context, cfg SentinelConfig, mhost, mport string, port int) (*Sentinel, error) {
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("redis-sentinel dir %s: %w", cfg.Dir, err)
	}
	conf := filepath.Join(dir, "sentinel.conf")
	pidFile := filepath.Join(dir, "sentinel.pid")
	logFile := filepath.Join(dir, "sentinel.log")
	if err := writeConf(conf, sentinelConfLines(cfg, dir, mhost, mport, port, pidFile, logFile)); err != nil {
		return nil, err
	}
	p, err := spawn("redis-sentinel", dir, pidFile, logFile, nil, conf)
	if err != nil {
		return nil, err
	}
	s := &Sentinel{process: p, Host: cfg.Host, Port: port, Password: cfg.Password, Master: cfg.Master, Dir: dir}
	if err := waitReady(ctx, p, s.Addr(), cfg.Password, cfg.StartTimeout); err != nil {
		s.abort()
		return nil, err
	}
	return s, nil
}

func sentinelConfLines(cfg SentinelConfig, dir, mhost, mport string, port int, pidFile, logFile string) []string {
	failover := cfg.FailoverTimeout
	if failover <= 0 {
		failover = 10 * time.Second
	}
	downAfter := cfg.DownAfter
	if downAfter <= 0 {
		downAfter = 2 * time.Second
	}
	m := cfg.Master
	lines := []string{
		"bind " + cfg.Host,
		"port " + strconv.Itoa(port),
		"daemonize no",
		"dir " + quote(dir),
		"logfile " + quote(logFile),
		"pidfile " + quote(pidFile),
		// Sentinels tell each other where they are: the bind address, not 127.0.0.1.
		"sentinel announce-ip " + cfg.Host,
		"sentinel resolve-hostnames no",
		fmt.Sprintf("sentinel monitor %s %s %s %d", m, mhost, mport, cfg.Quorum),
		fmt.Sprintf("sentinel down-after-milliseconds %s %d", m, downAfter.Milliseconds()),
		fmt.Sprintf("sentinel failover-timeout %s %d", m, failover.Milliseconds()),
	}
	if cfg.AuthPass != "" {
		lines = append(lines, fmt.Sprintf("sentinel auth-pass %s %s", m, quote(cfg.AuthPass)))
	}
	if cfg.Password != "" {
		lines = append(lines, "requirepass "+quote(cfg.Password))
	}
	return append(lines, cfg.Extra...)
}
