package report

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/cutover/cutover/runbook"
)

// baseline sets the source's baseline beside the target's figures after
// the cutover.
func baseline(m *md, h *history) {
	cols := []runbook.StepID{runbook.InventoryBaseline, runbook.CutoverWatch, runbook.VerifyPerformance}
	metrics := []struct {
		key, name string
		pct       bool // a 0..1 fraction, shown as a percentage
	}{
		{"hit_rate", "hit rate", true}, {"p50_ms", "p50 latency (ms)", false}, {"p99_ms", "p99 latency (ms)", false},
		{"ops", "ops/s", false}, {"keys", "keys", false}, {"used_memory", "used memory (bytes)", false},
	}
	var rows [][]string
	for _, mt := range metrics {
		row := []string{mt.name}
		seen := false
		for _, c := range cols {
			v := h.output(runbook.Fact{Step: c, Name: mt.key})
			seen = seen || v != ""
			if f, err := strconv.ParseFloat(v, 64); err == nil && mt.pct {
				v = fmt.Sprintf("%.2f%%", f*100)
			}
			row = append(row, v)
		}
		if seen {
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return
	}
	m.heading("Baseline and after")
	m.table([]string{"Metric", "Baseline (source)", "cutover.watch (target)", "verify.performance (target)"}, rows)
	for _, c := range cols[1:] {
		if r := h.result(c); r != nil {
			m.line("")
			m.line("%s: %s", c, r.Summary)
			evidence(m, r)
		}
	}
}

// dns reports the TTL lowering, the swap and the rollback.
func dns(m *md, h *history) {
	var rows [][]string
	if r, ok := h.lastRun(runbook.BuildDNS); ok {
		what := fmt.Sprintf("TTL %s s → %s s; safe to swap from %s", h.output(runbook.DNSOldTTL), h.output(runbook.DNSTTL), h.output(runbook.DNSSafeAt))
		rows = append(rows, dnsRow(h, runbook.BuildDNS, r, what))
	}
	for _, id := range []runbook.StepID{runbook.CutoverCname, runbook.RollbackCname} {
		for _, r := range h.runs[id] {
			what := ""
			if r.end != nil && r.end.Result != nil {
				what = swapped(r.end.Result.Outputs)
			}
			rows = append(rows, dnsRow(h, id, r, what))
		}
	}
	if len(rows) == 0 {
		return
	}
	m.heading("DNS")
	m.table([]string{"Step", "When", "By", "Outcome", "What"}, rows)
}

// swapped says what a swap changed and proved, as far as it got.
func swapped(o map[string]string) string {
	if o["value"] == "" {
		return ""
	}
	s := o["previous"] + " → " + o["value"]
	if o["change_id"] != "" {
		s += " (change " + o["change_id"] + ")"
	}
	if o["run_id"] != "" {
		s += fmt.Sprintf("; clients reach %s, run_id %s", o["addr"], o["run_id"])
	}
	return s
}

func dnsRow(h *history, id runbook.StepID, r run, what string) []string {
	outcome := "running"
	if r.end != nil {
		outcome = string(r.end.Type)
		if r.end.Error != "" {
			outcome += ": " + r.end.Error
		}
	}
	return []string{string(id), stamp(r.start.Time), who(r.start.Operator, r.start.Second), outcome, what}
}

// drill reports each failover drill's figures.
func drill(m *md, h *history) {
	rs := h.runs[runbook.VerifyFailover]
	if len(rs) == 0 {
		return
	}
	m.heading("Failover drill")
	var rows [][]string
	for _, r := range rs {
		if r.end == nil || r.end.Result == nil {
			rows = append(rows, []string{stamp(r.start.Time), r.start.Options["mode"], "", "", "", "", "", "", "did not finish"})
			continue
		}
		o := r.end.Result.Outputs
		lost := o["acked_lost"]
		if lost != "" {
			lost += " of " + o["acked_writes"]
		}
		rows = append(rows, []string{stamp(r.start.Time), cmp.Or(o["mode"], r.start.Options["mode"]), msecs(o["detection_ms"]), msecs(o["promotion_ms"]),
			msecs(o["outage_ms"]), msecs(o["first_write_ms"]), lost, o["old_primary"] + " → " + o["new_primary"], r.end.Result.Summary})
	}
	m.table([]string{"When", "Mode", "Detection", "Promotion", "Client outage", "First write", "Acked writes lost", "Primary", "Result"}, rows)
	if last := rs[len(rs)-1]; last.end != nil && last.end.Result != nil {
		if ev := last.end.Result.Outputs["events"]; ev != "" {
			m.line("")
			who := "Sentinel"
			if h.cfg.Target.Kind == "cluster" {
				who = "Cluster node"
			}
			m.line("%s events of the last drill: %s", who, ev)
		}
		warnings(m, last.end.Result)
	}
}

// liveSync reports a live migration: the sync's first copy and the swap's
// drain, pause, comparison and, on the lab, the acknowledged writes lost.
func liveSync(m *md, h *history) {
	start, swap := h.result(runbook.MigrateLive), h.result(runbook.CutoverCname)
	if start == nil {
		return
	}
	m.heading("Live sync")
	m.line("%s", start.Summary)
	if swap != nil && swap.Outputs["live_compared"] != "" {
		m.line("")
		m.line("Swap: %s", swap.Summary)
		evidence(m, swap)
	}
}

func backup(m *md, h *history) {
	r := h.result(runbook.VerifyBackup)
	if r == nil {
		return
	}
	m.heading("Backup test")
	m.line("%s", r.Summary)
	if o := r.Outputs; o["key"] != "" {
		line := fmt.Sprintf("Object %s, %s bytes", code("s3://"+o["bucket"]+"/"+o["key"]), o["bytes"])
		if o["lastsave"] != "" {
			line += ", from the save at " + o["lastsave"]
		}
		m.line("")
		m.line("%s.", line)
	}
	evidence(m, r)
}

// costCase is inventory.cost's comparison: the decision's numbers.
func costCase(m *md, h *history) {
	r := h.result(runbook.InventoryCost)
	if r == nil {
		return
	}
	m.heading("Cost case")
	m.line("%s.", r.Summary)
	m.line("")
	m.line("Break-even: %s. The playbook's rule: %s.", h.output(runbook.CostBreakEven), h.output(runbook.CostRule))
	evidence(m, r)
}

func evidence(m *md, r *runbook.Result) {
	if len(r.Evidence) == 0 {
		return
	}
	m.line("")
	var rows [][]string
	for _, e := range r.Evidence {
		mark := "✓ pass"
		if !e.OK {
			mark = "✗ fail"
		}
		rows = append(rows, []string{e.Name, e.Value, e.Want, mark})
	}
	m.table([]string{"Evidence", "Value", "Want", ""}, rows)
	warnings(m, r)
}

func warnings(m *md, r *runbook.Result) {
	for _, w := range r.Warnings {
		m.line("")
		m.line("> Warning: %s", strings.Join(strings.Fields(w), " "))
	}
}

// msecs renders a millisecond figure as seconds.
func msecs(v string) string {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return v
	}
	return fmt.Sprintf("%.2f s", float64(n)/1000)
}
