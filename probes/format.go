package probes

import (
	"fmt"
	"strconv"
)

// Bytes renders a byte count as B, KB, MB or GB (powers of 1024, as INFO's
// *_human fields do).
func Bytes(n float64) string {
	const k = 1024
	switch {
	case n >= k*k*k:
		return fmt.Sprintf("%.2f GB", n/(k*k*k))
	case n >= k*k:
		return fmt.Sprintf("%.1f MB", n/(k*k))
	case n >= k:
		return fmt.Sprintf("%.1f KB", n/k)
	}
	return fmt.Sprintf("%.0f B", n)
}

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
