package probes

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/cutover/cutover/runbook"
)

var monitoringCheck = check{
	summary: "GET the exporter's metrics: it answers 200 and reports redis_up 1.",
	calls: func(cfg *runbook.Config) []string {
		if cfg.Target.ExporterURL == "" {
			return []string{"nothing: target.exporter_url is not set"}
		}
		return []string{"HTTP GET " + cfg.Target.ExporterURL}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		u := cfg.Target.ExporterURL
		if u == "" {
			p.row("target.exporter_url", "not set", "the exporter's metrics URL", false)
			p.failure = "target.exporter_url is not set"
			return p.done("")
		}
		ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			p.row("GET "+u, err.Error(), "200", false)
			return p.done("")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			p.fail("GET "+u, err, "200")
			return p.done("")
		}
		defer resp.Body.Close()
		p.row("GET "+u, resp.Status, "200", resp.StatusCode == http.StatusOK)
		up, found := redisUp(io.LimitReader(resp.Body, 16<<20))
		if !found {
			up = "absent"
		}
		p.row("redis_up", up, "1", up == "1")
		return p.done("the exporter answers and reports redis_up 1")
	},
}

// redisUp finds the redis_up sample of a Prometheus text exposition.
func redisUp(r io.Reader) (string, bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && (f[0] == "redis_up" || strings.HasPrefix(f[0], "redis_up{")) {
			return f[1], true
		}
	}
	return "", false
}
