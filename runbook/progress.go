package runbook

import "fmt"

// FormatProgress renders progress as "12.3 MB of 40.0 MB (31%) - message".
func FormatProgress(p Progress) string {
	s := Amount(p.Done, p.Unit)
	if p.Total > 0 {
		s = fmt.Sprintf("%s of %s (%d%%)", s, Amount(p.Total, p.Unit), p.Done*100/p.Total)
	}
	if p.Message != "" {
		s += " - " + p.Message
	}
	return s
}

// Amount renders a count in its unit: bytes as B, KB, MB or GB in powers
// of 1024 (as INFO's *_human fields do, so every byte figure cutover shows
// reads the same), others as is.
func Amount(n int64, unit string) string {
	if unit != "bytes" {
		if unit == "" {
			return fmt.Sprint(n)
		}
		return fmt.Sprintf("%d %s", n, unit)
	}
	const k = 1024
	switch {
	case n >= k*k*k:
		return fmt.Sprintf("%.2f GB", float64(n)/(k*k*k))
	case n >= k*k:
		return fmt.Sprintf("%.1f MB", float64(n)/(k*k))
	case n >= k:
		return fmt.Sprintf("%.1f KB", float64(n)/k)
	}
	return fmt.Sprintf("%d B", n)
}
