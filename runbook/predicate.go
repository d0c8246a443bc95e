package runbook

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Predicate is one abort criterion of the change window, such as
// "target.hit_rate < baseline - 0.10 for 2m" or
// "source.connected_clients > 5 after cutover.cname + 10m".
type Predicate struct {
	Text   string
	Metric Metric
	Op     string  // < <= > >= == !=
	Value  float64 // the number compared against, or the offset from the baseline
	// Baseline compares against the inventory.baseline figure of the
	// metric plus Value.
	Baseline bool
	// For is how long the comparison must hold before the criterion is met.
	For time.Duration
	// After arms the criterion only once the step is done, plus Delay.
	// Without it a criterion is armed from the swap (cutover.cname) on.
	After StepID
	Delay time.Duration
}

// Metric is what a criterion reads: a side and a figure of it.
type Metric struct {
	Side string // source, target or parity
	Name string
}

func (m Metric) String() string { return m.Side + "." + m.Name }

// Derived figures the console computes beside the INFO fields.
var derivedMetrics = []string{
	"hit_rate",     // keyspace hits / lookups over the last poll interval
	"ops_per_sec",  // commands per second over the last poll interval
	"keys",         // keys in every db
	"memory_usage", // used_memory / maxmemory
	"latency_ms",   // the INFO round trip
}

// infoFields are the numeric INFO fields a criterion may name (Redis 7
// and Valkey 8 spell them alike); errorstat_<ERROR> is accepted too.
var infoFields = strings.Fields(`connected_clients blocked_clients tracking_clients maxclients
	used_memory used_memory_rss used_memory_peak maxmemory mem_fragmentation_ratio
	total_connections_received total_commands_processed instantaneous_ops_per_sec
	instantaneous_input_kbps instantaneous_output_kbps rejected_connections
	expired_keys evicted_keys keyspace_hits keyspace_misses pubsub_channels pubsub_patterns
	total_error_replies sync_full sync_partial_ok sync_partial_err connected_slaves
	master_last_io_seconds_ago master_link_down_since_seconds rdb_changes_since_last_save
	loading rdb_bgsave_in_progress aof_rewrite_in_progress used_cpu_sys used_cpu_user`)

// parityMetrics are read from migrate.parity's result.
var parityMetrics = []string{"missing_fraction"}

// baselined are the metrics inventory.baseline measured on the source.
var baselined = map[string]Fact{"hit_rate": BaselineHitRate, "latency_ms": BaselineP99}

var (
	predicateRe = regexp.MustCompile(`^\s*([a-z]+)\.([A-Za-z0-9_]+)\s*(<=|>=|==|!=|<|>)\s*` +
		`(baseline(?:\s*([+-])\s*([0-9.]+))?|-?[0-9][0-9.]*(?:e-?[0-9]+)?)` +
		`(?:\s+for\s+([0-9a-z.]+))?` +
		`(?:\s+after\s+([a-z]+\.[a-z_.]+)(?:\s*\+\s*([0-9a-z.]+))?)?\s*$`)
	errorstatRe = regexp.MustCompile(`^errorstat_[A-Z][A-Z_]*$`)
)

// ParsePredicate reads a criterion. The error says what is wrong and how
// a good one reads; rb names the steps "after" may refer to.
func ParsePredicate(text string, rb *Runbook) (Predicate, error) {
	m := predicateRe.FindStringSubmatch(text)
	if m == nil {
		return Predicate{}, fmt.Errorf("%q is not a criterion; write it like \"target.errorstat_NOSCRIPT > 0\", \"target.hit_rate < baseline - 0.10 for 2m\" or \"source.connected_clients > 5 after cutover.cname + 10m\"", text)
	}
	p := Predicate{Text: strings.TrimSpace(text), Metric: Metric{m[1], m[2]}, Op: m[3]}
	if err := p.Metric.check(); err != nil {
		return Predicate{}, err
	}
	if strings.HasPrefix(m[4], "baseline") {
		if _, ok := baselined[p.Metric.Name]; !ok || p.Metric.Side == "parity" {
			return Predicate{}, fmt.Errorf("%q: the baseline has %s only; compare %s with a number", text, strings.Join(mapKeys(baselined), " and "), p.Metric)
		}
		p.Baseline = true
		if m[6] != "" {
			v, err := strconv.ParseFloat(m[6], 64)
			if err != nil {
				return Predicate{}, fmt.Errorf("%q: %q is not a number", text, m[6])
			}
			if m[5] == "-" {
				v = -v
			}
			p.Value = v
		}
	} else {
		v, err := strconv.ParseFloat(m[4], 64)
		if err != nil {
			return Predicate{}, fmt.Errorf("%q: %q is not a number", text, m[4])
		}
		p.Value = v
	}
	var err error
	if p.For, err = predicateDuration(text, "for", m[7]); err != nil {
		return Predicate{}, err
	}
	if m[8] != "" {
		p.After = StepID(m[8])
		if rb != nil && rb.Step(p.After) == nil {
			return Predicate{}, fmt.Errorf("%q: there is no step %s in the runbook (cutover plan lists them)", text, p.After)
		}
	}
	if p.Delay, err = predicateDuration(text, "after ... +", m[9]); err != nil {
		return Predicate{}, err
	}
	return p, nil
}

func predicateDuration(text, word, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: %s %q is not a duration; write it like 30s, 2m or 1h", text, word, s)
	}
	return d, nil
}

func (m Metric) check() error {
	switch m.Side {
	case "source", "target":
		if slices.Contains(derivedMetrics, m.Name) || slices.Contains(infoFields, m.Name) || errorstatRe.MatchString(m.Name) {
			return nil
		}
		return fmt.Errorf("%s is not a figure cutover reads; use %s, errorstat_<ERROR> (like errorstat_NOSCRIPT) or an INFO field such as connected_clients", m, strings.Join(derivedMetrics, ", "))
	case "parity":
		if slices.Contains(parityMetrics, m.Name) {
			return nil
		}
		return fmt.Errorf("%s is not a parity figure; use parity.%s", m, strings.Join(parityMetrics, ", parity."))
	}
	return fmt.Errorf("%s: %q is not a side; a criterion reads source., target. or parity.", m, m.Side)
}

func mapKeys[V any](m map[string]V) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}

// Holds compares a value with the criterion's threshold.
func (p Predicate) Holds(v, threshold float64) bool {
	switch p.Op {
	case "<":
		return v < threshold
	case "<=":
		return v <= threshold
	case ">":
		return v > threshold
	case ">=":
		return v >= threshold
	case "==":
		return v == threshold
	default:
		return v != threshold
	}
}

// Threshold is the number the metric is compared with, and whether it is
// known (a baseline criterion needs inventory.baseline's figure).
func (p Predicate) Threshold(facts Facts) (float64, bool) {
	if !p.Baseline {
		return p.Value, true
	}
	b, err := strconv.ParseFloat(facts[baselined[p.Metric.Name]], 64)
	if err != nil {
		return 0, false
	}
	return b + p.Value, true
}

// ArmedAt is when the criterion starts to count: its After step's end
// plus Delay, or the swap's end. ok is false while that has not happened,
// and once the swap has been rolled back (there is nothing left to abort).
func (p Predicate) ArmedAt(s State) (time.Time, bool) {
	swap, back := s.Get(CutoverCname), s.Get(RollbackCname)
	if back.Status == Done && back.At.After(swap.At) {
		return time.Time{}, false
	}
	step := p.After
	if step == "" {
		step = CutoverCname
	}
	st := s.Get(step)
	if st.Status != Done {
		return time.Time{}, false
	}
	return st.At.Add(p.Delay), true
}
