package awsstub

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/labtest"
)

// The source's INFO with the counters and commandstats serverless
// metrics come from.
const serverlessInfo = infoText + `
# Stats
total_commands_processed:500

# Commandstats
cmdstat_get:calls=100,usec=300,usec_per_call=3.00,rejected_calls=0,failed_calls=0
cmdstat_hgetall:calls=20,usec=60,usec_per_call=3.00,rejected_calls=0,failed_calls=0
cmdstat_set:calls=50,usec=500,usec_per_call=10.00,rejected_calls=0,failed_calls=0
cmdstat_info:calls=10,usec=1000,usec_per_call=100.00,rejected_calls=0,failed_calls=0
`

// A serverless cache's metrics, under its one dimension clusterId: its own
// (ECPU, latencies, throttling, commands) and the engine ones it shares
// with a node, but none of a node's.
func TestServerlessGetMetricData(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC)}
	l := newServerlessLab(t, filepath.Join(labtest.RDBTestdata(t), "redis-7.2.6.rdb"), func(c *Config) {
		c.now = clock.Now
		c.Serverless.MaxECPU = 1 // 60 ECPUs a period: this traffic is throttled
	})
	l.info.set(serverlessInfo)
	// Over the first window (100 s of uptime), per 60 s period: 300
	// commands, 36000 bytes moved (35 KB: fewer ECPUs than commands).
	l.wantMetrics(t, clock.Now(), map[string]float64{
		"ElastiCacheProcessingUnits":    300,
		"TotalCmdsCount":                300,
		"ThrottledCmds":                 240, // the share of 300 ECPUs beyond 60
		"SuccessfulReadRequestLatency":  3,   // (300+60) µs over 120 GET and HGETALL calls
		"SuccessfulWriteRequestLatency": 10,
		"CacheHits":                     540,
		"CacheHitRate":                  90,
		"BytesUsedForCache":             52428800,
		"CurrItems":                     100,
		"CurrVolatileItems":             15,
		"CurrConnections":               12,
		"NewConnections":                24,
		"Evictions":                     1.8,
		"NetworkBytesIn":                6000,
		"NetworkBytesOut":               30000,
	}, "clusterId", "lab-cache")

	// A minute later latency covers the calls since the previous sample.
	l.info.set(strings.NewReplacer("uptime_in_seconds:100", "uptime_in_seconds:160",
		"cmdstat_get:calls=100,usec=300", "cmdstat_get:calls=160,usec=600").Replace(serverlessInfo))
	got := l.metrics(t, clock.Add(time.Minute),
		cwQuery("read", "SuccessfulReadRequestLatency", "clusterId", "lab-cache"),
		cwQuery("write", "SuccessfulWriteRequestLatency", "clusterId", "lab-cache"),
		cwQuery("cpu", "EngineCPUUtilization", "clusterId", "lab-cache"),
		cwQuery("master", "IsMaster", "clusterId", "lab-cache"),
		cwQuery("node", "CurrItems", "CacheClusterId", "lab-cache-001"),
		cwQuery("other", "CurrItems", "clusterId", "someone-else"),
	)
	if len(got["read"]) != 1 || !near(got["read"][0], 5) {
		t.Errorf("read latency over the minute = %v, want 5 (300 µs over 60 GETs)", got["read"])
	}
	if len(got["write"]) != 0 {
		t.Errorf("write latency without writes in the minute = %v, want no datapoint", got["write"])
	}
	for _, id := range []string{"cpu", "master", "node", "other"} {
		if len(got[id]) != 0 {
			t.Errorf("%s: a serverless cache has no such data, got %v", id, got[id])
		}
	}
}
