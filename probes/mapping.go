package probes

import "fmt"

// MappingRow is one ElastiCache CloudWatch metric beside the INFO fields
// that replace it, with the source's value from CloudWatch and from INFO
// and the target's from INFO. Text columns are "-" when there is no value.
// Values are in the CloudWatch metric's unit: percentages 0..100, counters
// per second.
type MappingRow struct {
	CloudWatch string // metric name
	Formula    string // what INFO gives in its place
	Section    string // INFO section

	CW, Source, Target                string
	CWValue, SourceValue, TargetValue float64
	CWOK, SourceOK, TargetOK          bool
}

// metric is one row of the mapping table.
type metric struct {
	name, formula, section string
	counter                bool // CloudWatch Sum per period; compared per second
	format                 func(float64) string
	info                   func(p Point) (float64, bool)
	text                   func(p Point) string // overrides format for INFO values
}

// metrics are the mapped CloudWatch metrics, in table order.
var metrics = []metric{
	{name: "CurrConnections", formula: "connected_clients", section: "clients", format: Count,
		info: func(p Point) (float64, bool) { return float64(p.Sample.Info.ConnectedClients), true }},
	{name: "NewConnections", formula: "delta(total_connections_received) / delta(t)", section: "stats", counter: true, format: PerSec,
		info: func(p Point) (float64, bool) { return p.Rates.NewConnsPerSec, p.Rates.Valid }},
	{name: "CacheHitRate", formula: "keyspace_hits / (keyspace_hits + keyspace_misses)", section: "stats", format: Percent,
		info: hitRatePercent},
	{name: "ReplicationLag", formula: "master_repl_offset - slave offset (bytes); lag= (seconds)", section: "replication", format: seconds,
		info: func(p Point) (float64, bool) {
			_, s, ok := p.Sample.Info.ReplicaLag()
			return float64(s), ok
		},
		text: func(p Point) string {
			b, s, _ := p.Sample.Info.ReplicaLag()
			return fmt.Sprintf("%s, %s", Bytes(float64(b)), seconds(float64(s)))
		}},
	{name: "EngineCPUUtilization", formula: "delta(used_cpu_sys + used_cpu_user) / delta(t)", section: "cpu", format: Percent,
		info: func(p Point) (float64, bool) { return p.Rates.CPUPercent, p.Rates.Valid }},
	{name: "DatabaseMemoryUsagePercentage", formula: "used_memory / maxmemory", section: "memory", format: Percent,
		info: func(p Point) (float64, bool) {
			f, ok := p.Sample.Info.MemoryUsage()
			return f * 100, ok
		}},
	{name: "BytesUsedForCache", formula: "used_memory", section: "memory", format: Bytes,
		info: func(p Point) (float64, bool) {
			return float64(p.Sample.Info.UsedMemory), p.Sample.Info.Has("used_memory")
		}},
	{name: "MemoryFragmentationRatio", formula: "mem_fragmentation_ratio", section: "memory", format: func(v float64) string { return fmt.Sprintf("%.2f", v) },
		info: func(p Point) (float64, bool) {
			return p.Sample.Info.MemFragmentationRatio, p.Sample.Info.Has("mem_fragmentation_ratio")
		}},
	{name: "Evictions", formula: "delta(evicted_keys) / delta(t)", section: "stats", counter: true, format: PerSec,
		info: func(p Point) (float64, bool) { return p.Rates.EvictionsPerSec, p.Rates.Valid }},
	{name: "Reclaimed", formula: "delta(expired_keys) / delta(t)", section: "stats", counter: true, format: PerSec,
		info: func(p Point) (float64, bool) { return p.Rates.ExpiredPerSec, p.Rates.Valid }},
	{name: "CurrItems", formula: "sum of dbN:keys", section: "keyspace", format: Count,
		info: func(p Point) (float64, bool) { return float64(p.Sample.Info.Keys()), true }},
	{name: "CurrVolatileItems", formula: "sum of dbN:expires", section: "keyspace", format: Count,
		info: func(p Point) (float64, bool) { return float64(p.Sample.Info.Expires()), true }},
	{name: "NetworkBytesIn", formula: "delta(total_net_input_bytes) / delta(t)", section: "stats", counter: true, format: BytesPerSec,
		info: func(p Point) (float64, bool) { return p.Rates.NetInPerSec, p.Rates.Valid }},
	{name: "NetworkBytesOut", formula: "delta(total_net_output_bytes) / delta(t)", section: "stats", counter: true, format: BytesPerSec,
		info: func(p Point) (float64, bool) { return p.Rates.NetOutPerSec, p.Rates.Valid }},
	{name: "SaveInProgress", formula: "rdb_bgsave_in_progress", section: "persistence", format: Count,
		info: func(p Point) (float64, bool) {
			return b2f(p.Sample.Info.RDBBgsaveInProgress), p.Sample.Info.Has("rdb_bgsave_in_progress")
		}},
	{name: "IsMaster", formula: "role:master", section: "replication", format: Count,
		info: func(p Point) (float64, bool) { return b2f(p.Sample.Info.IsPrimary()), p.Sample.Info.Role != "" }},
}

// hitRatePercent is the hit rate over the last interval when there were
// lookups in it, else since the server started.
func hitRatePercent(p Point) (float64, bool) {
	if p.Rates.Valid && p.Rates.HitRateOK {
		return p.Rates.HitRate * 100, true
	}
	r, ok := p.Sample.Info.HitRate()
	return r * 100, ok
}

func seconds(v float64) string { return fmt.Sprintf("%.0f s", v) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// MappingRows builds the table from the last point of each endpoint (a
// zero Point when there is none yet) and the CloudWatch values by metric
// name (nil when AWS is not configured).
func MappingRows(src, tgt Point, cw map[string]float64) []MappingRow {
	rows := make([]MappingRow, 0, len(metrics))
	for _, m := range metrics {
		r := MappingRow{CloudWatch: m.name, Formula: m.formula, Section: m.section, CW: "-", Source: "-", Target: "-"}
		if v, ok := cw[m.name]; ok {
			r.CWValue, r.CWOK, r.CW = v, true, m.format(v)
		}
		r.SourceValue, r.SourceOK, r.Source = m.value(src)
		r.TargetValue, r.TargetOK, r.Target = m.value(tgt)
		rows = append(rows, r)
	}
	return rows
}

func (m metric) value(p Point) (float64, bool, string) {
	if !p.Sample.OK() {
		return 0, false, "-"
	}
	v, ok := m.info(p)
	switch {
	case !ok:
		return 0, false, "-"
	case m.text != nil:
		return v, true, m.text(p)
	}
	return v, true, m.format(v)
}
