package probes

import (
	"testing"
	"time"
)

func pointFrom(t *testing.T, file string) Point {
	in := ParseInfo(readInfo(t, file))
	return Point{Sample: Sample{Time: time.Unix(1, 0), Addr: "x:1", Info: in}}
}

func TestMappingRows(t *testing.T) {
	t.Parallel()
	src := pointFrom(t, "info-primary-with-replica.txt")
	src.Rates = Rates{Valid: true, CPUPercent: 12.5, EvictionsPerSec: 3, NewConnsPerSec: 0.5, HitRate: 0.8, HitRateOK: true}
	tgt := pointFrom(t, "info-standalone-empty.txt") // first sample: no rates yet
	rows := Mapping{}.Rows(src, tgt, map[string]float64{"CurrConnections": 4, "CacheHitRate": 81.25})
	byName := map[string]MappingRow{}
	for _, r := range rows {
		byName[r.CloudWatch] = r
	}
	if len(byName) != 16 {
		t.Fatalf("%d rows", len(byName))
	}
	want := []struct{ name, cw, src, tgt string }{
		{"CurrConnections", "4", "1", "1"},
		{"CacheHitRate", "81.2%", "80.0%", "-"},
		{"ReplicationLag", "-", "0 B, 1 s", "-"},
		{"EngineCPUUtilization", "-", "12.5%", "-"},
		{"DatabaseMemoryUsagePercentage", "-", "1.8%", "-"},
		{"BytesUsedForCache", "-", "1.2 MB", "895.5 KB"},
		{"Evictions", "-", "3/s", "-"},
		{"NewConnections", "-", "0.5/s", "-"},
		{"CurrItems", "-", "702", "0"},
		{"CurrVolatileItems", "-", "201", "0"},
		{"MemoryFragmentationRatio", "-", "10.73", "13.91"},
		{"SaveInProgress", "-", "0", "0"},
		{"IsMaster", "-", "1", "1"},
	}
	for _, w := range want {
		r := byName[w.name]
		if r.CW != w.cw || r.Source != w.src || r.Target != w.tgt {
			t.Errorf("%s: got %q %q %q, want %q %q %q", w.name, r.CW, r.Source, r.Target, w.cw, w.src, w.tgt)
		}
	}
	if r := byName["CurrItems"]; !r.SourceOK || r.SourceValue != 702 || r.Formula != "sum of dbN:keys" || r.Section != "keyspace" {
		t.Errorf("raw CurrItems: %+v", r)
	}

	// Without data or AWS every value is "-".
	for _, r := range (Mapping{}).Rows(Point{}, Point{}, nil) {
		if r.CW != "-" || r.Source != "-" || r.Target != "-" || r.SourceOK {
			t.Errorf("empty %s: %+v", r.CloudWatch, r)
		}
	}
}
