package ui

import (
	"math"
	"strings"
)

// sparkline draws values as block characters scaled between their min and
// max (floor zero for non-negative series). The charting libraries served
// here are on Bubble Tea v1; this is all the panes need.
func sparkline(vals []float64, width int) string {
	const bars = "▁▂▃▄▅▆▇█"
	if width <= 0 {
		return ""
	}
	if len(vals) > width {
		vals = vals[len(vals)-width:]
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if math.IsNaN(v) {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if lo >= 0 {
		lo = 0
	}
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", width-len(vals)))
	runes := []rune(bars)
	for _, v := range vals {
		switch {
		case math.IsNaN(v) || math.IsInf(lo, 0):
			b.WriteRune(' ')
		case hi <= lo:
			b.WriteRune(runes[0])
		default:
			i := int((v - lo) / (hi - lo) * float64(len(runes)-1))
			b.WriteRune(runes[max(0, min(i, len(runes)-1))])
		}
	}
	return b.String()
}
