package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// ClusterPoller reads every node of a cluster once (probes.ClusterPoller).
type ClusterPoller interface {
	Poll(ctx context.Context) probes.ClusterSample
	Close() error
}

// clusterView is what a cluster target's pane adds to a Pane: the last
// poll of the whole cluster, a history per node (for its rates), and the
// focused shard. The pane's own history is the focused primary's, so its
// single-node rendering, the mapping and the criteria read that primary.
type clusterView struct {
	poller ClusterPoller
	last   probes.ClusterSample
	hists  map[string]*probes.History // by node address
	rates  map[string]probes.Rates
	nodes  map[string]nodeState // what the timeline last said of each node
	total  probes.Point         // the primaries summed, for the mapping
	focus  int                  // index into last.Primaries()
}

// NewClusterPane polls every node of a cluster every interval, with at
// most one poll in flight like NewPane.
func NewClusterPane(name string, p ClusterPoller, interval time.Duration) *Pane {
	pane := NewPane(name, nil, interval)
	pane.cluster = &clusterView{poller: p, hists: map[string]*probes.History{}, rates: map[string]probes.Rates{}, nodes: map[string]nodeState{}}
	return pane
}

// poll reads every node once off the Update loop, within the poller's
// timeout (probes.PollTimeout of the interval).
func (cv *clusterView) poll(w *work, name string, tag int) tea.Cmd {
	poller := cv.poller
	return w.cmd(func(ctx context.Context) tea.Msg {
		cs := poller.Poll(ctx)
		return pollMsg{pane: name, tag: tag, cluster: &cs}
	})
}

// nodeState is what the timeline last said of a node.
type nodeState struct {
	down    string // why it does not answer; "" while it does
	primary bool
}

// observeCluster records a cluster poll and puts on the timeline a node
// going down, coming back or changing role (a failover). The focused
// primary is logPoll's, like a single node's.
func (m *Model) observeCluster(p *Pane, cs probes.ClusterSample) probes.Sample {
	cv := p.cluster
	s := cv.observe(p, cs)
	for _, n := range cs.Nodes {
		prev, known := cv.nodes[n.Addr]
		now := nodeState{down: "", primary: prev.primary}
		if n.Sample.OK() {
			now.primary = n.Sample.Info.IsPrimary()
		} else {
			now.down = probes.Explain(n.Sample.Err)
		}
		cv.nodes[n.Addr] = now
		switch {
		case n.Addr == s.Addr:
		case now.down != "" && now.down != prev.down:
			m.addLog(1, "%s node %s down: %s", p.name, n.Addr, now.down)
		case now.down == "" && prev.down != "":
			m.addLog(0, "%s node %s answers again", p.name, n.Addr)
		case known && now.down == "" && now.primary != prev.primary:
			m.addLog(1, "%s node %s is now a %s", p.name, n.Addr, map[bool]string{true: "primary", false: "replica"}[now.primary])
		}
	}
	return s
}

// observe records a cluster poll: every node's history, then the pane's
// view of the focused primary. It returns that primary's sample.
func (cv *clusterView) observe(p *Pane, cs probes.ClusterSample) probes.Sample {
	if cs.Err != nil {
		cv.last.Err = cs.Err // the rows stay, dimmed, under the reason
		cv.total = probes.ClusterTotal(cv.total.Sample, cs, nil)
		s := probes.Sample{Time: cs.Time, Err: cs.Err}
		p.last, p.rates = s, p.hist.Add(s)
		return s
	}
	cv.last = cs
	defer func() { cv.total = probes.ClusterTotal(cv.total.Sample, cs, cv.rates) }()
	seen := map[string]bool{}
	for _, n := range cs.Nodes {
		h := cv.hists[n.Addr]
		if h == nil {
			h = probes.NewHistory(120)
			cv.hists[n.Addr] = h
		}
		cv.rates[n.Addr] = h.Add(n.Sample)
		seen[n.Addr] = true
	}
	for a := range cv.hists {
		if !seen[a] { // left the cluster
			delete(cv.hists, a)
			delete(cv.rates, a)
		}
	}
	cv.refocus(p)
	return p.last
}

// refocus points the pane at the focused shard's primary.
func (cv *clusterView) refocus(p *Pane) {
	prim := cv.last.Primaries()
	if len(prim) == 0 {
		return
	}
	cv.focus %= len(prim)
	n := prim[cv.focus]
	p.hist, p.last, p.rates = cv.hists[n.Addr], n.Sample, cv.rates[n.Addr]
	p.lines = nil
}

// nextShard moves the focus to the next shard; false for a pane that is
// not a cluster's.
func (p *Pane) nextShard() bool {
	if p == nil || p.cluster == nil {
		return false
	}
	p.cluster.focus++
	p.cluster.refocus(p)
	p.addr = "" // the operator moved the focus: no "now follows" on the log
	return true
}

// nextShard is the console's key for it; the renders cached by
// memo do not know the focus.
func (m *Model) nextShard() {
	if m.tgt.nextShard() {
		clear(m.cache)
	}
}

// shardLabel names the focused shard in the pane's title, whose address
// is its primary's.
func (p *Pane) shardLabel() string {
	if p == nil || p.cluster == nil {
		return ""
	}
	prim := p.cluster.last.Primaries()
	if len(prim) == 0 {
		return ""
	}
	return fmt.Sprintf(" · shard %d/%d", p.cluster.focus%len(prim)+1, len(prim))
}

// clusterRows is how many lines a cluster pane needs beyond a single-node
// pane's: the header, the column names and a row per node.
func (p *Pane) clusterRows() int {
	if p == nil || p.cluster == nil {
		return 0
	}
	return len(p.cluster.last.Nodes) + 2
}

// body renders a pane: a cluster's header and node rows over its focused
// primary, or the single node.
func (p *Pane) body(w int) []string {
	if p.cluster == nil {
		return p.render(w)
	}
	cv := p.cluster
	if cv.last.Nodes == nil {
		return p.render(w) // connecting, or the reason nothing answers
	}
	val := sText
	if cv.last.Err != nil {
		val = sFaint
	}
	focused := ""
	if prim := cv.last.Primaries(); len(prim) > 0 {
		focused = prim[cv.focus%len(prim)].Addr
	}
	out := []string{val.Render(truncate(cv.header(), w))}
	if cv.last.Err != nil {
		out = append(out, sBad.Render(truncate("unreachable: "+probes.Explain(cv.last.Err)+", retrying", w)))
	}
	out = append(out, sFaint.Render(truncate(fmt.Sprintf("  %5s %6s %5s %-7s %s", "ops/s", "memory", "keys", "lag", "node"), w)))
	for _, n := range cv.last.Nodes {
		out = append(out, cv.row(n, n.Shard == focused, val, w))
	}
	return append(out, p.render(w)...) // the focused primary, as a single node
}

// header is cluster_state and slot coverage, from CLUSTER INFO.
func (cv *clusterView) header() string {
	cs := cv.last
	if cs.StateErr != nil {
		return "cluster_state ? (CLUSTER INFO on " + cs.Asked + ": " + probes.Explain(cs.StateErr) + ")"
	}
	h := fmt.Sprintf("cluster_state %s · slots %d/16384", cs.State, cs.Slots.Assigned)
	if cs.Slots.OK != cs.Slots.Assigned {
		h += fmt.Sprintf(" · ok %d", cs.Slots.OK)
	}
	if cs.Slots.PFail > 0 {
		h += fmt.Sprintf(" · pfail %d", cs.Slots.PFail)
	}
	if cs.Slots.Fail > 0 {
		h += fmt.Sprintf(" · fail %d", cs.Slots.Fail)
	}
	return h
}

// row is one node: role (from its INFO, the map's while it is down),
// ops/s, memory, keys, a replica's lag (or the map's failure flags) and
// its address; ▸ marks the focused shard.
func (cv *clusterView) row(n probes.ClusterNode, focused bool, val lipgloss.Style, w int) string {
	mark, role := " ", "R"
	if focused {
		mark = "▸"
	}
	primary := n.Primary
	if n.Sample.OK() {
		primary = n.Sample.Info.IsPrimary()
	}
	if primary {
		role = "P"
	}
	if !n.Sample.OK() {
		// The address first: which node is down is the news.
		return truncate(mark+role+" "+sBad.Render(n.Addr+" down: "+probes.Explain(n.Sample.Err)), w)
	}
	in, r := n.Sample.Info, cv.rates[n.Addr]
	lag := ""
	switch {
	case strings.Contains(n.Flags, "fail?"):
		lag = "pfail"
	case strings.Contains(n.Flags, "fail"):
		lag = "fail"
	case !primary && in.MasterLinkStatus != "up":
		lag = "link " + in.MasterLinkStatus
	case !primary:
		if b, s, ok := cv.last.Lag(n); ok {
			lag = fmt.Sprintf("%s/%ds", short(b), s)
		}
	}
	head := fmt.Sprintf("%s%s %5s %6s %5s %-7s ", mark, role, rate(r.OpsPerSec, r.Valid),
		short(in.UsedMemory), rate(float64(in.Keys()), true), lag)
	return val.Render(truncate(head+keepEnd(n.Addr, w-ansi.StringWidth(head)), w))
}

// keepEnd cuts s to width from the left: nodes' addresses differ at
// their end (the last octet, the port).
func keepEnd(s string, width int) string {
	if len(s) <= width || width < 2 {
		return s
	}
	return "…" + s[len(s)-width+1:]
}

// short is a byte count without the space, for the node rows.
func short(n int64) string { return strings.ReplaceAll(runbook.Amount(n, "bytes"), " ", "") }

// whole is what the abort criteria read of the pane: a cluster's
// primaries summed (an error while one does not answer), else its last
// sample.
func (p *Pane) whole() probes.Point {
	if p.cluster != nil {
		return p.cluster.total
	}
	return probes.Point{Sample: p.last, Rates: p.rates}
}

// totalPoint is the primaries summed, or a zero Point while one of them
// does not answer (the mapping then shows "-").
func (cv *clusterView) totalPoint() probes.Point {
	if !cv.total.Sample.OK() {
		return probes.Point{}
	}
	return cv.total
}

// shardBreakdown is the line under the mapping's header for a cluster
// target: the target column is the primaries summed, and each shard's
// share of it.
func (p *Pane) shardBreakdown() string {
	if p == nil || p.cluster == nil {
		return ""
	}
	cv := p.cluster
	prim := cv.last.Primaries()
	parts := make([]string, 0, len(prim))
	for i, n := range prim {
		if !n.Sample.OK() {
			parts = append(parts, fmt.Sprintf("%d down", i+1))
			continue
		}
		r := cv.rates[n.Addr]
		parts = append(parts, fmt.Sprintf("%d: %s keys %s %s/s", i+1, rate(float64(n.Sample.Info.Keys()), true),
			short(n.Sample.Info.UsedMemory), rate(r.OpsPerSec, r.Valid)))
	}
	return fmt.Sprintf("target Σ %d shards · %s", len(prim), strings.Join(parts, " · "))
}
