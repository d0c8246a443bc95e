package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/cutover/cutover/probes"
)

// CloudWatchFunc reads the source's latest CloudWatch values by metric
// name; nil when AWS is not configured.
type CloudWatchFunc func(ctx context.Context) (map[string]float64, error)

// Mapping is the CloudWatch -> INFO table: the ElastiCache metric beside
// the INFO formula that replaces it, with source and target values.
type Mapping struct {
	table    probes.Mapping
	fetchCW  CloudWatchFunc
	every    time.Duration
	cw       map[string]float64
	cwErr    error
	inflight bool
	version  int // bumped when CloudWatch data arrives
}

// cloudWatchMsg carries one CloudWatch read.
type cloudWatchMsg struct {
	values map[string]float64
	err    error
}

// NewMapping shows table (probes.MappingFor the source) and reads
// CloudWatch once a minute (its metrics are per minute) when f is set.
func NewMapping(table probes.Mapping, f CloudWatchFunc) *Mapping {
	return &Mapping{table: table, fetchCW: f, every: time.Minute}
}

func (mp *Mapping) fetch(w *work) tea.Cmd {
	if mp == nil || mp.fetchCW == nil || mp.inflight {
		return nil
	}
	mp.inflight = true
	f := mp.fetchCW
	return w.cmd(func(ctx context.Context) tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		v, err := f(ctx)
		return cloudWatchMsg{values: v, err: err}
	})
}

func (mp *Mapping) onFetch(w *work, msg cloudWatchMsg) tea.Cmd {
	mp.inflight = false
	mp.version++
	mp.cwErr = msg.err
	if msg.err == nil {
		mp.cw = msg.values
	}
	return w.after(mp.every, mappingTickMsg{})
}

type mappingTickMsg struct{}

// ver changes whenever the table's CloudWatch data does.
func (mp *Mapping) ver() int {
	if mp == nil {
		return 0
	}
	return mp.version
}

// view renders the table (the model caches it until a pane or CloudWatch
// brings new data).
func (mp *Mapping) view(src, tgt *Pane, w, h int) string {
	if mp == nil {
		return sFaint.Render("no mapping")
	}
	rows := mp.table.Rows(lastPoint(src), lastPoint(tgt), mp.cw)
	const nameW, valW = 29, 11
	cols := 3
	if mp.fetchCW == nil {
		cols = 2 // no CloudWatch: give its column to the formula
	}
	infoW := w - nameW - cols*(valW+1) - 1
	row := func(name, formula string, vals ...string) string {
		line := fmt.Sprintf("%-*s", nameW, truncate(name, nameW))
		if infoW >= 12 { // too narrow for the formula: the values matter more
			line += fmt.Sprintf(" %-*s", infoW, truncate(formula, infoW))
		}
		for _, v := range vals[3-cols:] {
			line += fmt.Sprintf(" %*s", valW, truncate(v, valW))
		}
		return line
	}
	out := []string{sBold.Render(truncate(row("CloudWatch", "INFO", "source CW", "source INFO", "target"), w))}
	if b := tgt.shardBreakdown(); b != "" {
		out = append(out, sFaint.Render(truncate(b, w)))
	}
	for _, r := range rows {
		out = append(out, truncate(row(r.CloudWatch, r.Formula, r.CW, r.Source, r.Target), w))
	}
	if mp.fetchCW == nil {
		out = append(out, sFaint.Render("CloudWatch: not configured (no AWS for this source)"))
	} else if mp.cwErr != nil {
		out = append(out, sWarn.Render(truncate("CloudWatch: "+probes.Explain(mp.cwErr)+"; retrying each minute", w)))
	}
	if len(out) > h {
		out = out[:h]
	}
	return strings.Join(out, "\n")
}

// lastPoint is a pane's newest answer, or a zero Point while it has none
// or its endpoint is down.
func lastPoint(p *Pane) probes.Point {
	if p != nil && p.cluster != nil {
		return p.cluster.totalPoint()
	}
	if p == nil || p.hist.Err() != nil {
		return probes.Point{}
	}
	pt, _ := p.hist.Last()
	return pt
}
