package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// Poller does one INFO round trip within its own timeout
// (probes.Poller: probes.PollTimeout of the interval). The pane owns it:
// Close releases its connections and watchers when the console ends.
type Poller interface {
	Poll(ctx context.Context) probes.Sample
	Close() error
}

// Pane is one live INFO pane: it polls its endpoint once per interval,
// never with more than one request in flight, and keeps a history.
type Pane struct {
	name     string
	poller   Poller
	interval time.Duration
	hist     *probes.History
	tag      int  // the current poll; a message with another tag is stale
	inflight bool // a poll is out
	last     probes.Sample
	rates    probes.Rates // from the sample before last to last
	lines    []string     // rendered body, rebuilt only when a sample arrives
	linesW   int
	addr     string       // the server that last answered
	downWhy  string       // why it is unreachable, "" while it answers
	cluster  *clusterView // a cluster target's nodes (clusterpane.go)
}

// NewPane polls p every interval; a nil poller shows "not configured".
func NewPane(name string, p Poller, interval time.Duration) *Pane {
	return &Pane{name: name, poller: p, interval: interval, hist: probes.NewHistory(120)}
}

type (
	pollMsg struct {
		pane    string
		tag     int
		sample  probes.Sample
		cluster *probes.ClusterSample // a cluster pane's poll
	}
	pollTickMsg struct {
		pane string
		tag  int
	}
)

// poll sends one INFO off the Update loop; the poller's timeout is under
// the interval, so polls never pile up.
func (p *Pane) poll(w *work) tea.Cmd {
	if p == nil || (p.poller == nil && p.cluster == nil) || p.inflight {
		return nil
	}
	p.tag++
	p.inflight = true
	tag, poller, name := p.tag, p.poller, p.name
	if p.cluster != nil {
		return p.cluster.poll(w, name, tag)
	}
	return w.cmd(func(ctx context.Context) tea.Msg {
		return pollMsg{pane: name, tag: tag, sample: poller.Poll(ctx)}
	})
}

// close closes the poller; the console has ended its polls by then.
func (p *Pane) close() {
	if p != nil && p.poller != nil {
		p.poller.Close()
	}
	if p != nil && p.cluster != nil {
		p.cluster.poller.Close()
	}
}

func (m *Model) pane(name string) *Pane {
	for _, p := range []*Pane{m.src, m.tgt} {
		if p != nil && p.name == name {
			return p
		}
	}
	return nil
}

// onPoll records a sample and arms the next tick: the next poll goes out
// one interval after this one went out, and only once this one is back.
func (m *Model) onPoll(msg pollMsg) tea.Cmd {
	p := m.pane(msg.pane)
	if p == nil || msg.tag != p.tag {
		return nil
	}
	p.inflight = false
	if msg.cluster != nil {
		msg.sample = m.observeCluster(p, *msg.cluster)
	} else {
		p.last = msg.sample
		p.rates = p.hist.Add(msg.sample)
	}
	p.lines = nil
	m.logPoll(p, msg.sample)
	m.observeCriteria()
	wait := p.interval
	if !msg.sample.Time.IsZero() {
		wait -= msg.sample.Latency
	}
	return m.work.after(max(wait, 50*time.Millisecond), pollTickMsg{pane: p.name, tag: p.tag})
}

// logPoll puts what changed on the timeline: an endpoint going down (once
// per distinct reason), coming back, or a pane following a new primary.
func (m *Model) logPoll(p *Pane, s probes.Sample) {
	if s.Err != nil {
		if why := probes.Explain(s.Err); why != p.downWhy {
			p.downWhy = why
			m.addLog(1, "%s unreachable: %s; retrying", p.name, why)
		}
		return
	}
	if p.downWhy != "" {
		p.downWhy = ""
		m.addLog(0, "%s answers again at %s", p.name, s.Addr)
	}
	if p.addr != "" && s.Addr != p.addr {
		m.addLog(1, "%s pane now follows %s (was %s)", p.name, s.Addr, p.addr)
	}
	p.addr = s.Addr
}

func (m *Model) onPollTick(msg pollTickMsg) tea.Cmd {
	p := m.pane(msg.pane)
	if p == nil || msg.tag != p.tag {
		return nil
	}
	return p.poll(m.work)
}

func (p *Pane) title() string {
	if p == nil {
		return "INFO"
	}
	t := strings.ToUpper(p.name[:1]) + p.name[1:]
	if pt, ok := p.hist.Last(); ok {
		t += " " + pt.Sample.Addr
	}
	return t + p.shardLabel()
}

// view renders the pane body; it is cached until the next sample.
func (p *Pane) view(w, h int, now time.Time) string {
	if p == nil || (p.poller == nil && p.cluster == nil) {
		return sFaint.Render("not configured")
	}
	if p.lines == nil || p.linesW != w {
		p.lines, p.linesW = p.body(w), w
	}
	lines := p.lines
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

func (p *Pane) render(w int) []string {
	var out []string
	if err := p.hist.Err(); err != nil {
		// Wrapped, not cut: the reason is the point.
		msg := lipgloss.NewStyle().Width(w).Render("unreachable: " + probes.Explain(err) + ", retrying")
		for _, l := range strings.Split(msg, "\n") {
			out = append(out, sBad.Render(l))
		}
	}
	pt, ok := p.hist.Last()
	if !ok {
		if len(out) == 0 {
			out = append(out, sFaint.Render("connecting…"))
		}
		return out
	}
	in, r := pt.Sample.Info, pt.Rates
	val := sText
	if p.hist.Err() != nil {
		val = sFaint // stale numbers stay, dimmed
	}
	engine := "redis " + in.RedisVersion
	if in.ValkeyVersion != "" {
		engine = "valkey " + in.ValkeyVersion
	}
	out = append(out, val.Render(truncate(fmt.Sprintf("%s · %s · up %s · %s", roleWord(in), engine,
		(time.Duration(in.Uptime)*time.Second).String(), ms(pt.Sample.Latency)), w)))
	spark := max(8, w-30)
	row := func(label, value string, series []float64) {
		line := fmt.Sprintf("%-9s %-18s", label, value)
		if series != nil {
			line += " " + sRun.Render(sparkline(series, min(spark, w-29)))
		}
		out = append(out, val.Render(truncate(line, w)))
	}
	row("ops/s", rate(r.OpsPerSec, r.Valid), p.hist.OpsSeries())
	hit := "-"
	if r.Valid && r.HitRateOK {
		hit = pct(r.HitRate)
	}
	if tot, ok := in.HitRate(); ok {
		hit += " (all " + pct(tot) + ")"
	}
	row("hit rate", hit, p.hist.HitRateSeries())
	mem := runbook.Amount(in.UsedMemory, "bytes")
	if frac, ok := in.MemoryUsage(); ok {
		mem += " " + pct(frac)
	}
	row("memory", mem, p.hist.MemorySeries())
	maxmem := "maxmemory none"
	if in.MaxMemory > 0 {
		maxmem = "max " + runbook.Amount(in.MaxMemory, "bytes") + " " + in.MaxMemoryPolicy
	}
	out = append(out, val.Render(truncate(fmt.Sprintf("%-9s %s", "", maxmem), w)))
	out = append(out, val.Render(truncate(fmt.Sprintf("%-9s %s (with TTL %s)", "keys", grouped(in.Keys()), grouped(in.Expires())), w)))
	out = append(out, val.Render(truncate(fmt.Sprintf("%-9s %d   new/s %s   cpu %s", "clients", in.ConnectedClients, rate(r.NewConnsPerSec, r.Valid), cpu(r)), w)))
	out = append(out, val.Render(truncate(fmt.Sprintf("%-9s evicted %s  expired %s", "keys/s", rate(r.EvictionsPerSec, r.Valid), rate(r.ExpiredPerSec, r.Valid)), w)))
	out = append(out, val.Render(truncate(fmt.Sprintf("%-9s in %s/s  out %s/s", "network", runbook.Amount(int64(r.NetInPerSec), "bytes"), runbook.Amount(int64(r.NetOutPerSec), "bytes")), w)))
	out = append(out, val.Render(truncate(replLine(in), w)))
	save := "never"
	if in.RDBLastSaveTime > 0 {
		save = time.Unix(in.RDBLastSaveTime, 0).Local().Format("15:04:05") + " " + in.RDBLastBgsaveStatus
	}
	if in.RDBBgsaveInProgress {
		save += " (saving now)"
	}
	aof := "aof off"
	if in.AOFEnabled {
		aof = "aof on"
	}
	out = append(out, val.Render(truncate(fmt.Sprintf("%-9s %s · %s", "last save", save, aof), w)))
	return out
}

func roleWord(in probes.Info) string {
	if in.IsPrimary() {
		return "primary"
	}
	if in.Role == "" {
		return "role ?"
	}
	return "replica"
}

// replLine summarises replication: a primary's replicas, or a replica's
// link to its primary.
func replLine(in probes.Info) string {
	if in.IsPrimary() {
		if len(in.Slaves) == 0 {
			return fmt.Sprintf("%-9s no replicas", "repl")
		}
		var parts []string
		for _, s := range in.Slaves {
			lagBytes := in.MasterReplOffset - s.Offset
			parts = append(parts, fmt.Sprintf("%s %s lag %ds/%s", s.Addr(), s.State, s.Lag, runbook.Amount(max(lagBytes, 0), "bytes")))
		}
		return fmt.Sprintf("%-9s %s", "repl", strings.Join(parts, "; "))
	}
	return fmt.Sprintf("%-9s link %s to %s:%d, last io %ds", "repl", in.MasterLinkStatus, in.MasterHost, in.MasterPort, in.MasterLastIOSecondsAgo)
}

func rate(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	case v >= 10 || v == 0:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }

func cpu(r probes.Rates) string {
	if !r.Valid {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", r.CPUPercent)
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
}

// grouped writes a count with thousands separators: 1,250,000 reads at a
// glance at 2 a.m., 1250000 does not.
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}
