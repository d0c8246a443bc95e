package probes

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cutover/cutover/runbook"
)

// Reading is one abort criterion against the live figures.
type Reading struct {
	Criterion runbook.Predicate
	Value     float64
	Known     bool    // the figure could be read
	Threshold float64 // what it is compared with
	True      bool    // the comparison holds now
	Armed     bool    // the criterion counts (after the swap, or its after clause)
	Met       bool    // armed and true for the criterion's for clause: abort
	Why       string  // why the value is unknown
}

// String reads "target.errorstat_NOSCRIPT > 0: now 12 (true)".
func (r Reading) String() string {
	if !r.Known {
		return fmt.Sprintf("%s: unknown now (%s)", r.Criterion.Text, r.Why)
	}
	s := fmt.Sprintf("%s: now %s", r.Criterion.Text, formatFigure(r.Value))
	if r.Criterion.Baseline {
		s += fmt.Sprintf(" against %s", formatFigure(r.Threshold))
	}
	switch {
	case r.Met:
		return s + ": MET, abort"
	case r.True && !r.Armed:
		return s + ": true, not armed yet"
	case r.True:
		return s + fmt.Sprintf(": true, not yet for %s", r.Criterion.For)
	}
	return s + ": false"
}

func formatFigure(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// Live is what the criteria read: the last sample of each side with its
// rates, and the state (for baselines, parity and arming).
type Live struct {
	Source, Target           Sample
	SourceRates, TargetRates Rates
	State                    runbook.State
}

// Criteria follows abort criteria over time, for their for clauses.
type Criteria struct {
	List  []runbook.Predicate
	since map[int]time.Time // when each became true and armed
}

// Observe reads every criterion now.
func (c *Criteria) Observe(l Live, now time.Time) []Reading {
	if c.since == nil {
		c.since = map[int]time.Time{}
	}
	out := make([]Reading, len(c.List))
	for i, p := range c.List {
		r := Reading{Criterion: p}
		r.Value, r.Known, r.Why = figure(p.Metric, l)
		r.Threshold, r.Why = thresholdOf(p, l.State, r)
		armedAt, armed := p.ArmedAt(l.State)
		r.Armed = armed && !now.Before(armedAt)
		r.True = r.Known && r.Why == "" && p.Holds(r.Value, r.Threshold)
		if r.True && r.Armed {
			if _, ok := c.since[i]; !ok {
				c.since[i] = now
			}
			r.Met = now.Sub(c.since[i]) >= p.For
		} else {
			delete(c.since, i)
		}
		out[i] = r
	}
	return out
}

func thresholdOf(p runbook.Predicate, s runbook.State, r Reading) (float64, string) {
	if r.Why != "" {
		return 0, r.Why
	}
	th, ok := p.Threshold(s.Facts)
	if !ok {
		return 0, "inventory.baseline has not measured it"
	}
	return th, ""
}

// figure reads a metric from the live figures; why says why it cannot.
func figure(m runbook.Metric, l Live) (float64, bool, string) {
	if m.Side == "parity" {
		sampled, err1 := strconv.ParseFloat(l.State.Facts[runbook.ParitySampled], 64)
		diff, err2 := strconv.ParseFloat(l.State.Facts[runbook.ParityDifferences], 64)
		if err1 != nil || err2 != nil || sampled == 0 {
			return 0, false, "migrate.parity has not compared keys"
		}
		return diff / sampled, true, ""
	}
	s, rates := l.Source, l.SourceRates
	if m.Side == "target" {
		s, rates = l.Target, l.TargetRates
	}
	if !s.OK() {
		if s.Err != nil {
			return 0, false, "the " + m.Side + " does not answer: " + s.Err.Error()
		}
		return 0, false, "no INFO from the " + m.Side + " yet"
	}
	in := s.Info
	switch m.Name {
	case "hit_rate":
		if rates.HitRateOK {
			return rates.HitRate, true, ""
		}
		if rates.HitRateTotalOK {
			return rates.HitRateTotal, true, ""
		}
		return 0, false, "no lookups yet"
	case "ops_per_sec":
		if rates.Valid {
			return rates.OpsPerSec, true, ""
		}
		return float64(in.InstantaneousOpsPerSec), true, ""
	case "keys":
		return float64(in.Keys()), true, ""
	case "memory_usage":
		if f, ok := in.MemoryUsage(); ok {
			return f, true, ""
		}
		return 0, false, "maxmemory is not set"
	case "latency_ms":
		return float64(s.Latency.Microseconds()) / 1000, true, ""
	}
	if name, ok := strings.CutPrefix(m.Name, "errorstat_"); ok {
		// A counter appears with the first error of its kind.
		return float64(errorCounts(in)[name]), true, ""
	}
	v, err := strconv.ParseFloat(in.Raw[m.Name], 64)
	if err != nil {
		return 0, false, "the " + m.Side + " does not report " + m.Name
	}
	return v, true, ""
}
