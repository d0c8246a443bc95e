package probes

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/cutover/cutover/runbook"
)

var monitoringCheck = check{
	summary: "GET the exporter's metrics: it answers 200, reports redis_up 1, and its redis_instance_info carries the run_id of the target's primary (so it watches the server you will cut over to, not another one).",
	calls: func(cfg *runbook.Config) []string {
		if cfg.Target.ExporterURL == "" {
			return []string{"nothing: target.exporter_url is not set"}
		}
		return []string{"HTTP GET " + cfg.Target.ExporterURL, "INFO server on the target's primary (compare run_id)"}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		u := cfg.Target.ExporterURL
		if u == "" {
			p.row("target.exporter_url", "not set", "the exporter's metrics URL", false)
			p.failure = "target.exporter_url is not set: run the exporter (prometheus-redis-exporter) against the target primary and give its metrics URL"
			return p.done("")
		}
		ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
		m, err := scrape(ctx, u)
		if err != nil {
			p.fail("GET "+u, err, "200")
			p.failure = fmt.Sprintf("the exporter at %s does not answer: %s; start it (systemctl start prometheus-redis-exporter) or correct target.exporter_url", u, Explain(err))
			return p.done("")
		}
		p.row("GET "+u, "200 OK", "200", true)
		up := m.up
		if up == "" {
			up = "absent"
		}
		if !p.row("redis_up", up, "1", up == "1") {
			p.failure = "the exporter answers but reports redis_up " + up + ": it cannot reach or authenticate to its server; check its redis.addr and REDIS_PASSWORD"
			return p.done("")
		}
		c, addr, err := primaryClient(ctx, cfg, "monitoring")
		if err != nil {
			p.row("target primary", Explain(err), "found", false)
			return p.done("")
		}
		defer c.Close()
		in, err := infoOf(ctx, c, "server")
		if err != nil {
			p.fail("INFO server on "+addr, err, "an answer")
			return p.done("")
		}
		seen := m.runID
		if seen == "" {
			seen = "absent"
		}
		if !p.row("run_id the exporter sees", seen, fmt.Sprintf("%s, the target primary %s", in.RunID, addr), m.runID == in.RunID) {
			p.failure = fmt.Sprintf("the exporter watches another server: it sees run_id %s (%s), the target primary %s has run_id %s; point its redis.addr at %s",
				seen, m.server, addr, in.RunID, addr)
		}
		return p.done("the exporter answers, reports redis_up 1 and watches the target primary (run_id " + short(in.RunID) + ")")
	},
}

// exposition is what build.monitoring reads from an exposition.
type exposition struct {
	up     string // redis_up
	runID  string // run_id label of redis_instance_info
	server string // where that server says it is: version, role, port
}

// scrape GETs an exporter's metrics and reads them.
func scrape(ctx context.Context, url string) (exposition, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return exposition{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return exposition{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return exposition{}, fmt.Errorf("HTTP %s", resp.Status)
	}
	return readMetrics(io.LimitReader(resp.Body, 16<<20))
}

// readMetrics finds redis_up and redis_instance_info in a Prometheus text
// exposition.
func readMetrics(r io.Reader) (exposition, error) {
	var m exposition
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, labels, value, ok := sampleLine(sc.Text())
		switch {
		case !ok:
		case name == "redis_up":
			m.up = value
		case name == "redis_instance_info":
			m.runID = labels["run_id"]
			m.server = fmt.Sprintf("redis %s, %s, port %s", labels["redis_version"], labels["role"], labels["tcp_port"])
		}
	}
	return m, sc.Err()
}

// sampleLine splits `name{k="v",...} value`; comments and blank lines are
// not samples.
func sampleLine(line string) (name string, labels map[string]string, value string, ok bool) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", nil, "", false
	}
	rest := line
	if i := strings.IndexAny(line, "{ "); i > 0 {
		name, rest = line[:i], line[i:]
	}
	if strings.HasPrefix(rest, "{") {
		labels, rest, ok = parseLabels(rest[1:])
		if !ok {
			return "", nil, "", false
		}
	}
	f := strings.Fields(rest)
	if name == "" || len(f) == 0 {
		return "", nil, "", false
	}
	return name, labels, f[0], true
}

// parseLabels reads `k="v",...}` and returns what follows the brace.
func parseLabels(s string) (map[string]string, string, bool) {
	labels := map[string]string{}
	for {
		s = strings.TrimLeft(s, " ,")
		if strings.HasPrefix(s, "}") {
			return labels, s[1:], true
		}
		eq := strings.Index(s, `="`)
		if eq <= 0 {
			return nil, "", false
		}
		key := s[:eq]
		s = s[eq+2:]
		var v strings.Builder
		for {
			if s == "" {
				return nil, "", false
			}
			c := s[0]
			s = s[1:]
			if c == '"' {
				break
			}
			if c == '\\' && s != "" { // the exposition escapes \\, \" and \n
				c, s = s[0], s[1:]
				if c == 'n' {
					c = '\n'
				}
			}
			v.WriteByte(c)
		}
		labels[key] = v.String()
	}
}
