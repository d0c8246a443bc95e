// Package servers runs real redis-server and redis-sentinel processes as
// children on loopback addresses, for the practice lab and for tests.
package servers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// RedisConfig describes one redis-server.
type RedisConfig struct {
	Dir        string   // owned directory: redis.conf, data, log, pid file
	Host       string   // loopback IP to bind, e.g. 127.0.10.2
	Port       int      // 0 picks a free port on Host
	Password   string   // requirepass; empty for none
	Extra      []string // extra config lines, e.g. "maxmemory 256mb"
	ReplicaOf  string   // host:port of the primary, for a replica
	MasterAuth string   // the primary's password, for a replica

	// StartTimeout bounds the wait for PING (default 15s; the context's
	// deadline applies too).
	StartTimeout time.Duration
}

// Redis is a running redis-server child.
type Redis struct {
	*process
	Host     string
	Port     int
	Password string
	Dir      string
}

// Addr returns host:port.
func (r *Redis) Addr() string { return net.JoinHostPort(r.Host, strconv.Itoa(r.Port)) }

// Stop shuts the server down (SHUTDOWN NOSAVE, SIGKILL after a grace) and
// waits until it is reaped. Safe to call more than once.
func (r *Redis) Stop() {
	r.stop(func() {
		cmds := [][]string{{"SHUTDOWN", "NOSAVE"}}
		if r.Password != "" {
			cmds = [][]string{{"AUTH", r.Password}, {"SHUTDOWN", "NOSAVE"}}
		}
		// The server closes the connection instead of replying.
		_, _ = roundTrip(context.Background(), r.Addr(), time.Second, cmds...)
	})
}

// StartRedis writes Dir/redis.conf, starts redis-server and waits until it
// answers PING (with AUTH when a password is set).
func StartRedis(ctx context.Context, cfg RedisConfig) (*Redis, error) {
	if cfg.Host == "" {
		return nil, fmt.Errorf("redis-server: no Host given: set a loopback IP such as 127.0.10.2")
	}
	if err := prepareDir(cfg.Dir); err != nil {
		return nil, err
	}
	return onPort(cfg.Host, cfg.Port, "Address already in use", func(port int) (*Redis, error) {
		return startRedisOnce(ctx, cfg, port)
	})
}

// onPort starts a child on port, or on a free port of host when port is 0.
// A picked port can be taken before the child binds it: then the start,
// failing with an error holding inUse, is tried again on another.
func onPort[T any](host string, port int, inUse string, start func(port int) (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		p := port
		if p == 0 {
			var err error
			if p, err = FreePort(host); err != nil {
				var zero T
				return zero, err
			}
		}
		v, err := start(p)
		if err == nil || port != 0 || attempt == 4 || !strings.Contains(err.Error(), inUse) {
			return v, err
		}
	}
}

func startRedisOnce(ctx context.Context, cfg RedisConfig, port int) (*Redis, error) {
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("redis-server dir %s: %w", cfg.Dir, err)
	}
	conf := filepath.Join(dir, "redis.conf")
	pidFile := filepath.Join(dir, "redis.pid")
	logFile := filepath.Join(dir, "redis.log")
	if err := writeConf(conf, redisConfLines(cfg, dir, port, pidFile, logFile)); err != nil {
		return nil, err
	}
	p, err := spawn("redis-server", dir, pidFile, logFile, nil, conf)
	if err != nil {
		return nil, err
	}
	r := &Redis{process: p, Host: cfg.Host, Port: port, Password: cfg.Password, Dir: dir}
	if err := waitReady(ctx, p, r.Addr(), cfg.Password, cfg.StartTimeout); err != nil {
		r.abort()
		return nil, err
	}
	return r, nil
}

func redisConfLines(cfg RedisConfig, dir string, port int, pidFile, logFile string) []string {
	lines := []string{
		"bind " + cfg.Host,
		"port " + strconv.Itoa(port),
		// Without these a replica is seen as 127.0.0.1 and Sentinel
		// cannot promote it (NOGOODSLAVE).
		"bind-source-addr " + cfg.Host,
		"replica-announce-ip " + cfg.Host,
		"daemonize no",
		"dir " + quote(dir),
		"logfile " + quote(logFile),
		"pidfile " + quote(pidFile),
		// The default waits 5 s for more replicas before a full sync.
		"repl-diskless-sync-delay 0",
	}
	if !hasDirective(cfg.Extra, "save") {
		lines = append(lines, `save ""`)
	}
	if cfg.Password != "" {
		lines = append(lines, "requirepass "+quote(cfg.Password))
	}
	if cfg.MasterAuth != "" {
		lines = append(lines, "masterauth "+quote(cfg.MasterAuth))
	}
	if cfg.ReplicaOf != "" {
		host, port, _ := strings.Cut(cfg.ReplicaOf, ":")
		lines = append(lines, "replicaof "+host+" "+port)
	}
	return append(lines, cfg.Extra...)
}

// waitReady polls PING until it answers, the process exits or the deadline
// passes; failures carry the tail of the server's log.
func waitReady(ctx context.Context, p *process, addr, password string, limit time.Duration) error {
	if limit <= 0 {
		limit = 15 * time.Second
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmds := [][]string{{"PING"}}
	if password != "" {
		cmds = [][]string{{"AUTH", password}, {"PING"}}
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		_, err := roundTrip(ctx, addr, 500*time.Millisecond, cmds...)
		if err == nil {
			return nil
		}
		last = err
		var re respError
		if errors.As(err, &re) && !strings.HasPrefix(string(re), "LOADING") {
			return fmt.Errorf("%s on %s refused PING: %v; check the password and the config; log: %s", p.name, addr, re, p.logTail())
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s on %s exited during start (%v); log: %s", p.name, addr, p.waitErr, p.logTail())
		case <-ctx.Done():
			if parent.Err() != nil {
				return fmt.Errorf("start of %s on %s abandoned: %w", p.name, addr, parent.Err())
			}
			return fmt.Errorf("%s on %s did not answer PING within %s (%v); log: %s", p.name, addr, limit, last, p.logTail())
		case <-tick.C:
		}
	}
}
