package probes

import (
	"fmt"
	"strconv"
	"time"

	"github.com/cutover/cutover/runbook"
)

// limits are the pass conditions derived from inventory.baseline.
type limits struct {
	baseP99 time.Duration
	maxP99  time.Duration
	minHit  float64
	hasHit  bool
	p99Want string
	hitWant string
}

// baselineLimits reads the baseline facts and applies the margins.
func baselineLimits(st *runbook.State, th runbook.Thresholds) (limits, error) {
	var l limits
	raw, ok := st.Facts[runbook.BaselineP99]
	p99, err := strconv.ParseFloat(raw, 64)
	if !ok || err != nil {
		return l, fmt.Errorf("no baseline p99: run inventory.baseline first")
	}
	l.baseP99 = time.Duration(p99 * float64(time.Millisecond))
	// The slack keeps a pure percentage from failing a 0.1 ms baseline on
	// scheduling jitter alone.
	slack := th.LatencySlack.Duration
	l.maxP99 = max(time.Duration(float64(l.baseP99)*(1+th.LatencyMargin)), l.baseP99+slack)
	l.p99Want = fmt.Sprintf("<= %s (baseline %s + %.0f%%, at least +%s)", ms(l.maxP99), ms(l.baseP99), th.LatencyMargin*100, ms(slack))
	if h, err := strconv.ParseFloat(st.Facts[runbook.BaselineHitRate], 64); err == nil {
		l.minHit, l.hasHit = h-th.HitRateMargin, true
		l.hitWant = fmt.Sprintf(">= %.1f%% (baseline %.1f%% - %.1f points)", l.minHit*100, h*100, th.HitRateMargin*100)
	}
	return l, nil
}

// p99OK and hitOK apply the limits; a hit rate without a baseline or
// without lookups cannot fail.
func (l limits) p99OK(d time.Duration) bool { return d <= l.maxP99 }

func (l limits) hitOK(rate float64, known bool) bool { return !l.hasHit || !known || rate >= l.minHit }
