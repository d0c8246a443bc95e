// Package report turns a migration's journal into a Markdown report: the
// timeline, who ran and who confirmed each step, the decisions and their
// reasons, the baseline against the figures after the cutover, the
// failover drill, the backup test, the DNS swap and rollback, and what was
// skipped or interrupted. Everything it writes goes through the config's
// redactor.
package report

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/cutover/cutover/runbook"
)

// Write renders the report of cfg's journal to w.
func Write(w io.Writer, cfg *runbook.Config, rb *runbook.Runbook, now time.Time) error {
	h, err := load(cfg, rb)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	m := &md{w: &buf}
	header(m, h, now)
	summary(m, h)
	steps(m, h)
	decisions(m, h)
	costCase(m, h)
	baseline(m, h)
	dns(m, h)
	liveSync(m, h)
	drill(m, h)
	backup(m, h)
	skipped(m, h)
	trouble(m, h)
	timeline(m, h)
	if m.err != nil {
		return m.err
	}
	// The journal is redacted as written; this also catches what a step
	// echoed from elsewhere (a URL with credentials, an AWS key).
	_, err = w.Write(cfg.Redactor().ScrubBytes(buf.Bytes()))
	return err
}

func header(m *md, h *history, now time.Time) {
	cfg := h.cfg
	m.line("# Migration report")
	m.line("")
	m.line("- Source: %s %s", cfg.Source.Kind, code(cfg.Source.URL))
	target := fmt.Sprintf("%s %s", cfg.Target.Kind, code(cfg.Target.URL))
	if cfg.Target.Kind == "sentinel" {
		target += fmt.Sprintf(" (Sentinel master %s)", code(cfg.Target.Sentinel.Master))
	}
	m.line("- Target: %s", target)
	if cfg.DNS.Record != "" {
		m.line("- Name clients use: %s (%s → %s)", code(cfg.DNS.Record), code(cfg.DNS.SourceValue), code(cfg.DNS.TargetValue))
	}
	events := "events"
	if len(h.events) == 1 {
		events = "event"
	}
	m.line("- Journal: %s, %d %s", code(cfg.Journal), len(h.events), events)
	if n := len(h.events); n > 0 {
		m.line("- From %s to %s", stamp(h.events[0].Time), stamp(h.events[n-1].Time))
	}
	m.line("- Generated %s", stamp(now))
	if h.torn != "" {
		m.line("")
		m.line("> Note: %s", h.torn)
	}
}
