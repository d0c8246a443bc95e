package probes

import (
	"fmt"
	"testing"
	"time"
)

// lat is a second of n PINGs of rtt each, the last one taking last, with the
// sampler waking delay late.
func lat(n int, rtt, last, delay time.Duration) Latency {
	var l Latency
	for range n - 1 {
		l.Add(rtt)
		l.delays = append(l.delays, delay)
	}
	l.Add(last)
	return l
}

func TestJudgeWindows(t *testing.T) {
	t.Parallel()
	lim := limits{maxP99: 2 * time.Millisecond}
	calm := lat(50, 200*time.Microsecond, 300*time.Microsecond, 0)
	spike := lat(50, 200*time.Microsecond, 15*time.Millisecond, 0)
	starved := lat(50, 200*time.Microsecond, 6*time.Millisecond, 5*time.Millisecond) // the sampler itself woke 5 ms late
	slow := lat(50, 30*time.Millisecond, 30*time.Millisecond, 0)
	failing := Latency{Errors: 50}
	for _, tt := range []struct {
		name  string
		secs  []Latency
		holds bool
		slow  int
	}{
		{"calm", repeat(calm, 10), true, 0},
		{"one spike in ten seconds", append(repeat(calm, 9), spike), true, 1},
		{"two spikes in ten seconds", append(repeat(calm, 8), spike, spike), true, 2},
		{"three spikes in ten seconds", append(repeat(calm, 7), spike, spike, spike), false, 3},
		{"a starved sampler is not the server", repeat(starved, 10), true, 0},
		{"sustained latency", repeat(slow, 10), false, 10},
		{"half the seconds slow", append(repeat(calm, 5), repeat(slow, 5)...), false, 5},
		{"a spike in a short window", []Latency{calm, spike}, false, 1},
		{"failed PINGs", append(repeat(calm, 7), failing, failing, failing), false, 3},
		{"no seconds", nil, false, 0},
	} {
		secs := make([]second, len(tt.secs))
		for i, l := range tt.secs {
			secs[i] = newSecond(time.Duration(i+1)*time.Second, l, lim)
		}
		v := judge(secs)
		if v.holds != tt.holds || len(v.slow) != tt.slow {
			t.Errorf("%s: holds %v with %d slow (%s), want %v with %d", tt.name, v.holds, len(v.slow), v, tt.holds, tt.slow)
		}
	}
}

func repeat(l Latency, n int) []Latency {
	out := make([]Latency, n)
	for i := range out {
		out[i] = l
	}
	return out
}

func TestErrorGrowth(t *testing.T) {
	t.Parallel()
	in := ParseInfo("# Errorstats\r\nerrorstat_NOAUTH:count=3\r\nerrorstat_WRONGTYPE:count=1\r\nerrorstat_BAD:count=x\r\n")
	counts := errorCounts(in)
	if fmt.Sprint(counts) != "map[NOAUTH:3 WRONGTYPE:1]" {
		t.Fatalf("counts %v", counts)
	}
	for _, tt := range []struct {
		name       string
		start, now map[string]int64
		want       string
	}{
		{"none", map[string]int64{}, map[string]int64{}, "map[]"},
		{"grew", map[string]int64{"NOAUTH": 3}, map[string]int64{"NOAUTH": 5, "OOM": 1}, "map[NOAUTH:2 OOM:1]"},
		{"unchanged", map[string]int64{"NOAUTH": 3}, map[string]int64{"NOAUTH": 3}, "map[]"},
		{"reset by a restart", map[string]int64{"NOAUTH": 30}, map[string]int64{"NOAUTH": 2}, "map[NOAUTH:2]"},
	} {
		if got := fmt.Sprint(errorGrowth(tt.start, tt.now)); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	var p proof
	failure := p.errorRows(map[string]int64{}, map[string]int64{"READONLY": 4, "WRONGTYPE": 2})
	wantContains(t, failure, "READONLY +4 (writes reach a replica")
	wantContains(t, failure, "fix: point writers at the primary")
	if len(p.res.Warnings) != 1 {
		t.Fatalf("warnings %v: want one about WRONGTYPE", p.res.Warnings)
	}
	wantContains(t, p.res.Warnings[0], "2 WRONGTYPE error(s)")
}
