package servers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ExporterConfig describes one prometheus-redis-exporter.
type ExporterConfig struct {
	Dir       string // owned directory: pid file and output
	Host      string // loopback IP to listen on
	Port      int    // 0 picks a free port on Host
	RedisAddr string // host:port of the server it scrapes
	Password  string // that server's password, handed over in REDIS_PASSWORD

	// StartTimeout bounds the wait for the first good scrape (default 15s).
	StartTimeout time.Duration
}

// Exporter is a running prometheus-redis-exporter child.
type Exporter struct {
	*process
	Host string
	Port int
}

// Addr returns host:port of the metrics endpoint.
func (e *Exporter) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// URL is the exporter's metrics URL.
func (e *Exporter) URL() string { return "http://" + e.Addr() + "/metrics" }

// Stop ends the exporter (SIGTERM, SIGKILL after a grace) and reaps it.
func (e *Exporter) Stop() {
	e.stop(func() { _ = e.signal(syscall.SIGTERM) })
}

// StartExporter starts the exporter against cfg.RedisAddr and waits until a
// scrape reports redis_up 1. The password goes through the environment
// variable the exporter reads, never on its command line, where ps shows it.
func StartExporter(ctx context.Context, cfg ExporterConfig) (*Exporter, error) {
	if cfg.Host == "" || cfg.RedisAddr == "" {
		return nil, fmt.Errorf("%s: give Host (a loopback IP to listen on) and RedisAddr (the server to scrape)", ExporterBinary)
	}
	if err := prepareDir(cfg.Dir); err != nil {
		return nil, err
	}
	return onPort(cfg.Host, cfg.Port, "address already in use", func(port int) (*Exporter, error) {
		return startExporterOnce(ctx, cfg, port)
	})
}

func startExporterOnce(ctx context.Context, cfg ExporterConfig, port int) (*Exporter, error) {
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("%s dir %s: %w", ExporterBinary, cfg.Dir, err)
	}
	listen := net.JoinHostPort(cfg.Host, strconv.Itoa(port))
	var env []string
	if cfg.Password != "" {
		env = []string{"REDIS_PASSWORD=" + cfg.Password}
	}
	p, err := spawn(ExporterBinary, dir, filepath.Join(dir, "exporter.pid"), "", env,
		"-redis.addr", "redis://"+cfg.RedisAddr,
		"-web.listen-address", listen,
		"-redis-only-metrics", // no Go runtime metrics: a smaller scrape
		"-connection-timeout", "2s")
	if err != nil {
		return nil, err
	}
	e := &Exporter{process: p, Host: cfg.Host, Port: port}
	if err := waitScrape(ctx, p, e.URL(), cfg.StartTimeout); err != nil {
		e.abort()
		return nil, err
	}
	return e, nil
}

// waitScrape polls the metrics URL until it reports redis_up 1, the process
// exits or the deadline passes.
func waitScrape(ctx context.Context, p *process, url string, limit time.Duration) error {
	if limit <= 0 {
		limit = 15 * time.Second
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: 3 * time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := "no answer yet"
	for {
		if up, err := scrapeUp(ctx, client, url); err != nil {
			last = err.Error()
		} else if up == "1" {
			return nil
		} else {
			last = "redis_up " + up + ": it cannot reach or authenticate to the server"
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s on %s exited during start (%v); output: %s", p.name, url, p.waitErr, p.logTail())
		case <-ctx.Done():
			if parent.Err() != nil {
				return fmt.Errorf("start of %s on %s abandoned: %w", p.name, url, parent.Err())
			}
			return fmt.Errorf("%s on %s not ready within %s (%s); output: %s", p.name, url, limit, last, p.logTail())
		case <-tick.C:
		}
	}
}

// scrapeUp GETs the metrics and returns the value of redis_up.
func scrapeUp(ctx context.Context, c *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %s", resp.Status)
	}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "redis_up "); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("no redis_up in the metrics")
}
