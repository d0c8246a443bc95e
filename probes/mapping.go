package probes

import (
	"fmt"

	"github.com/cutover/cutover/runbook"
)

// MappingRow is one ElastiCache CloudWatch metric beside the INFO fields
// that replace it (or a formula saying there are none), with the source's
// value from CloudWatch and from INFO and the target's from INFO. Text
// columns are "-" when there is no value.
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
	info                   func(p Point) (float64, bool) // nil: INFO has no counterpart
	text                   func(p Point) string          // overrides format for INFO values
}

// Rows a replication group's table and a serverless cache's share.
var (
	currConnections = metric{name: "CurrConnections", formula: "connected_clients", section: "clients", format: Count,
		info: func(p Point) (float64, bool) { return float64(p.Sample.Info.ConnectedClients), true }}
	newConnections = metric{name: "NewConnections", formula: "delta(total_connections_received) / delta(t)", section: "stats", counter: true, format: PerSec,
		info: func(p Point) (float64, bool) { return p.Rates.NewConnsPerSec, p.Rates.Valid }}
	cacheHitRate = metric{name: "CacheHitRate", formula: "keyspace_hits / (keyspace_hits + keyspace_misses)", section: "stats", format: Percent,
		info: hitRatePercent}
	bytesUsedForCache = metric{name: "BytesUsedForCache", formula: "used_memory", section: "memory", format: Bytes,
		info: func(p Point) (float64, bool) {
			return float64(p.Sample.Info.UsedMemory), p.Sample.Info.Has("used_memory")
		}}
	evictions = metric{name: "Evictions", formula: "delta(evicted_keys) / delta(t)", section: "stats", counter: true, format: PerSec,
		info: func(p Point) (float64, bool) { return p.Rates.EvictionsPerSec, p.Rates.Valid }}
	currItems = metric{name: "CurrItems", formula: "sum of dbN:keys", section: "keyspace", format: Count,
		info: func(p Point) (float64, bool) { return float64(p.Sample.Info.Keys()), true }}
	currVolatileItems = metric{name: "CurrVolatileItems", formula: "sum of dbN:expires", section: "keyspace", format: Count,
		info: func(p Point) (float64, bool) { return float64(p.Sample.Info.Expires()), true }}
	networkBytesIn = metric{name: "NetworkBytesIn", formula: "delta(total_net_input_bytes) / delta(t)", section: "stats", counter: true, format: BytesPerSec,
		info: func(p Point) (float64, bool) { return p.Rates.NetInPerSec, p.Rates.Valid }}
	networkBytesOut = metric{name: "NetworkBytesOut", formula: "delta(total_net_output_bytes) / delta(t)", section: "stats", counter: true, format: BytesPerSec,
		info: func(p Point) (float64, bool) { return p.Rates.NetOutPerSec, p.Rates.Valid }}
)

// nodeMetrics are the mapped metrics of a replication group's primary
// node (dimension CacheClusterId), in table order.
var nodeMetrics = []metric{
	currConnections,
	newConnections,
	cacheHitRate,
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
	bytesUsedForCache,
	{name: "MemoryFragmentationRatio", formula: "mem_fragmentation_ratio", section: "memory", format: func(v float64) string { return fmt.Sprintf("%.2f", v) },
		info: func(p Point) (float64, bool) {
			return p.Sample.Info.MemFragmentationRatio, p.Sample.Info.Has("mem_fragmentation_ratio")
		}},
	evictions,
	{name: "Reclaimed", formula: "delta(expired_keys) / delta(t)", section: "stats", counter: true, format: PerSec,
		info: func(p Point) (float64, bool) { return p.Rates.ExpiredPerSec, p.Rates.Valid }},
	currItems,
	currVolatileItems,
	networkBytesIn,
	networkBytesOut,
	{name: "SaveInProgress", formula: "rdb_bgsave_in_progress", section: "persistence", format: Count,
		info: func(p Point) (float64, bool) {
			return b2f(p.Sample.Info.RDBBgsaveInProgress), p.Sample.Info.Has("rdb_bgsave_in_progress")
		}},
	{name: "IsMaster", formula: "role:master", section: "replication", format: Count,
		info: func(p Point) (float64, bool) { return b2f(p.Sample.Info.IsPrimary()), p.Sample.Info.Role != "" }},
}

// serverlessMetrics are a serverless cache's (dimension clusterId, the
// cache's name), in table order. It publishes no node metrics (CPU,
// fragmentation, replication, persistence); its own ECPU, latency and
// throttling metrics are beside what comes nearest on a server, or say
// there is nothing.
var serverlessMetrics = []metric{
	{name: "ElastiCacheProcessingUnits", formula: "no self-managed equivalent: ECPUs are what serverless bills (size the target by CPU)", section: "-", counter: true, format: PerSec},
	bytesUsedForCache,
	currItems,
	currVolatileItems,
	currConnections,
	newConnections,
	{name: "TotalCmdsCount", formula: "delta(total_commands_processed) / delta(t)", section: "stats", counter: true, format: PerSec,
		info: func(p Point) (float64, bool) { return p.Rates.OpsPerSec, p.Rates.Valid }},
	cacheHitRate,
	{name: "SuccessfulReadRequestLatency", formula: "not in the panes' INFO: INFO commandstats usec_per_call of reads (server time only)", section: "commandstats", format: micros},
	{name: "SuccessfulWriteRequestLatency", formula: "not in the panes' INFO: INFO commandstats usec_per_call of writes (server time only)", section: "commandstats", format: micros},
	{name: "ThrottledCmds", formula: "no self-managed equivalent: a server is not throttled, it queues and slows", section: "-", counter: true, format: PerSec},
	evictions,
	networkBytesIn,
	networkBytesOut,
}

// Mapping is the table for one kind of source: a replication group's
// (the zero Mapping) or a serverless cache's.
type Mapping struct{ serverless bool }

// MappingFor is the table for the source's kind.
func MappingFor(src runbook.Endpoint) Mapping { return Mapping{serverless: src.Serverless()} }

func (mp Mapping) metrics() []metric {
	if mp.serverless {
		return serverlessMetrics
	}
	return nodeMetrics
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

func micros(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.1f µs", v)
	}
	return fmt.Sprintf("%.0f µs", v)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Rows builds the table from the last point of each endpoint (a zero
// Point when there is none yet) and the CloudWatch values by metric name
// (nil when AWS is not configured).
func (mp Mapping) Rows(src, tgt Point, cw map[string]float64) []MappingRow {
	rows := make([]MappingRow, 0, len(mp.metrics()))
	for _, m := range mp.metrics() {
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

// value is the metric from INFO: "-" without data, or where INFO has no
// counterpart.
func (m metric) value(p Point) (float64, bool, string) {
	if !p.Sample.OK() || m.info == nil {
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
