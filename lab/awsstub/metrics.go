package awsstub

import (
	"strconv"
	"strings"
	"time"
)

// sample is one parsed INFO reply. The parsing is deliberately minimal:
// the full parser lives in probes/.
type sample struct {
	at     time.Time
	fields map[string]string
}

func parseInfo(at time.Time, text string) sample {
	s := sample{at: at, fields: map[string]string{}}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			s.fields[k] = v
		}
	}
	return s
}

func (s sample) num(key string) (float64, bool) {
	f, err := strconv.ParseFloat(s.fields[key], 64)
	return f, err == nil
}

// sub sums the sub-field (e.g. "keys" of "db0:keys=1,expires=0") over all
// fields with the prefix, e.g. "db" or "slave".
func (s sample) sub(prefix, field string) (sum, max float64, n int) {
	for k, v := range s.fields {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if _, err := strconv.Atoi(k[len(prefix):]); err != nil {
			continue
		}
		for _, kv := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(kv, "=")
			if f, err := strconv.ParseFloat(val, 64); err == nil && name == field {
				sum, n = sum+f, n+1
				if n == 1 || f > max {
					max = f
				}
			}
		}
	}
	return sum, max, n
}

// window pairs the current sample with the baseline rates are measured
// from; base is nil when the baseline is the server's start (counters 0).
type window struct {
	cur    sample
	base   *sample
	period time.Duration
}

// delta is the counter's growth over the window and the window's length in
// seconds.
func (w window) delta(key string) (d, secs float64, ok bool) {
	cur, ok := w.cur.num(key)
	if !ok {
		return 0, 0, false
	}
	if w.base == nil {
		up, ok := w.cur.num("uptime_in_seconds")
		return cur, max(up, 1), ok
	}
	prev, _ := w.base.num(key)
	return max(cur-prev, 0), max(w.cur.at.Sub(w.base.at).Seconds(), 0.001), true
}

// perPeriod is a counter's growth scaled to one period, what CloudWatch's
// Sum of a count metric over that period reports, whatever the length of
// the window actually observed.
func (w window) perPeriod(key string) (float64, bool) {
	d, secs, ok := w.delta(key)
	return d / secs * w.period.Seconds(), ok
}

func (w window) deltaSum(keys ...string) (sum, secs float64, ok bool) {
	for _, k := range keys {
		d, s, good := w.delta(k)
		if !good {
			return 0, 0, false
		}
		sum, secs = sum+d, s
	}
	return sum, secs, true
}

// metric computes one AWS/ElastiCache metric from INFO, the way the
// metric mapping table in the product describes it.
func metric(name string, w window) (float64, bool) {
	cur := w.cur
	switch name {
	case "CurrConnections":
		return cur.num("connected_clients")
	case "NewConnections":
		return w.perPeriod("total_connections_received")
	case "CacheHitRate":
		hits, _, ok1 := w.delta("keyspace_hits")
		misses, _, ok2 := w.delta("keyspace_misses")
		if !ok1 || !ok2 || hits+misses == 0 {
			return 0, false // no lookups: no datapoint
		}
		return 100 * hits / (hits + misses), true
	case "EngineCPUUtilization":
		cpu, secs, ok := w.deltaSum("used_cpu_sys_main_thread", "used_cpu_user_main_thread")
		if !ok {
			cpu, secs, ok = w.deltaSum("used_cpu_sys", "used_cpu_user")
		}
		return 100 * cpu / secs, ok
	case "DatabaseMemoryUsagePercentage":
		used, ok1 := cur.num("used_memory")
		limit, ok2 := cur.num("maxmemory")
		if !ok1 || !ok2 || limit == 0 {
			return 0, false
		}
		return 100 * used / limit, true
	case "Evictions":
		return w.perPeriod("evicted_keys")
	case "Reclaimed":
		return w.perPeriod("expired_keys")
	case "CurrItems":
		keys, _, _ := cur.sub("db", "keys")
		return keys, true
	case "CurrVolatileItems":
		expires, _, _ := cur.sub("db", "expires")
		return expires, true
	case "BytesUsedForCache":
		return cur.num("used_memory")
	case "MemoryFragmentationRatio":
		return cur.num("mem_fragmentation_ratio")
	case "ReplicationLag":
		if cur.fields["role"] == "slave" {
			return cur.num("master_last_io_seconds_ago")
		}
		_, lag, n := cur.sub("slave", "lag")
		return lag, n > 0
	case "SaveInProgress":
		return cur.num("rdb_bgsave_in_progress")
	case "IsMaster":
		if cur.fields["role"] == "master" {
			return 1, true
		}
		return 0, cur.fields["role"] != ""
	case "NetworkBytesIn":
		return w.perPeriod("total_net_input_bytes")
	case "NetworkBytesOut":
		return w.perPeriod("total_net_output_bytes")
	}
	return 0, false
}
