package probes

import (
	"fmt"
	"strconv"

	"github.com/cutover/cutover/runbook"
)

// Bytes renders a byte count the way the rest of cutover does.
func Bytes(n float64) string { return runbook.Amount(int64(n), "bytes") }

// Count renders a number without a fraction when it has none.
func Count(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// Percent renders 0..100 with one decimal.
func Percent(v float64) string { return fmt.Sprintf("%.1f%%", v) }

// PerSec renders a rate.
func PerSec(v float64) string {
	if v >= 100 || v == float64(int64(v)) {
		return fmt.Sprintf("%.0f/s", v)
	}
	return fmt.Sprintf("%.1f/s", v)
}

// BytesPerSec renders a byte rate.
func BytesPerSec(v float64) string { return Bytes(v) + "/s" }
