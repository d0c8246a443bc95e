package awsstub

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

const infoText = `# Server
redis_version:7.0.15
uptime_in_seconds:100

# Clients
connected_clients:12

# Memory
used_memory:52428800
maxmemory:209715200
mem_fragmentation_ratio:1.25

# Persistence
rdb_bgsave_in_progress:0

# Stats
total_connections_received:40
total_net_input_bytes:10000
total_net_output_bytes:50000
expired_keys:7
evicted_keys:3
keyspace_hits:900
keyspace_misses:100

# Replication
role:master
connected_slaves:1
slave0:ip=127.0.41.3,port=6379,state=online,offset=1000,lag=2

# CPU
used_cpu_sys:2.000000
used_cpu_user:3.000000
used_cpu_sys_main_thread:1.500000
used_cpu_user_main_thread:2.500000

# Keyspace
db0:keys=90,expires=10,avg_ttl=0
db3:keys=10,expires=5,avg_ttl=0
`

func cwQuery(id, name string, dims ...string) types.MetricDataQuery {
	var d []types.Dimension
	for i := 0; i+1 < len(dims); i += 2 {
		d = append(d, types.Dimension{Name: aws.String(dims[i]), Value: aws.String(dims[i+1])})
	}
	return types.MetricDataQuery{Id: aws.String(id), MetricStat: &types.MetricStat{
		Metric: &types.Metric{Namespace: aws.String("AWS/ElastiCache"), MetricName: aws.String(name), Dimensions: d},
		Period: aws.Int32(60), Stat: aws.String("Average"),
	}}
}

// testClock is the stand-in's clock in these tests.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// metrics asks for the ten minutes up to now (as the probes do) and checks
// that each datapoint is stamped in the current period.
func (l *lab) metrics(t *testing.T, now time.Time, qs ...types.MetricDataQuery) map[string][]float64 {
	t.Helper()
	out, err := l.cw.GetMetricData(ctxT(t), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-10 * time.Minute)), EndTime: aws.Time(now.Add(time.Millisecond)), MetricDataQueries: qs})
	must(t, err)
	got := map[string][]float64{}
	for _, r := range out.MetricDataResults {
		if r.StatusCode != types.StatusCodeComplete || len(r.Timestamps) != len(r.Values) {
			t.Fatalf("result %s: status %q, %d timestamps for %d values", aws.ToString(r.Id), r.StatusCode, len(r.Timestamps), len(r.Values))
		}
		for _, ts := range r.Timestamps {
			if !ts.Equal(now.Truncate(time.Minute)) {
				t.Errorf("result %s: timestamp %v is not the current period", aws.ToString(r.Id), ts)
			}
		}
		got[aws.ToString(r.Id)] = r.Values
	}
	return got
}

// wantMetrics asks for each metric of want with the dimensions and checks
// the one datapoint of each.
func (l *lab) wantMetrics(t *testing.T, now time.Time, want map[string]float64, dims ...string) {
	t.Helper()
	var qs []types.MetricDataQuery
	ids := map[string]string{}
	for name := range want {
		id := fmt.Sprintf("m%d", len(qs))
		ids[id] = name
		qs = append(qs, cwQuery(id, name, dims...))
	}
	got := l.metrics(t, now, qs...)
	for id, name := range ids {
		if len(got[id]) != 1 || !near(got[id][0], want[name]) {
			t.Errorf("%s = %v, want %v", name, got[id], want[name])
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestGetMetricDataFromINFO(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC)}
	l := newLab(t, func(c *Config) { c.now = clock.Now })
	l.info.set(infoText)
	// Counters are reported per 60 s period: over the first sample's window
	// (the server's 100 s uptime), 3 evictions are 1.8 per period.
	want := map[string]float64{
		"CurrConnections":               12,
		"CacheHitRate":                  90,
		"EngineCPUUtilization":          4, // 4 s of main-thread CPU over 100 s of uptime
		"DatabaseMemoryUsagePercentage": 25,
		"Evictions":                     1.8,
		"Reclaimed":                     4.2,
		"CurrItems":                     100,
		"CurrVolatileItems":             15,
		"NewConnections":                24,
		"BytesUsedForCache":             52428800,
		"MemoryFragmentationRatio":      1.25,
		"ReplicationLag":                2,
		"SaveInProgress":                0,
		"IsMaster":                      1,
		"NetworkBytesIn":                6000,
		"NetworkBytesOut":               30000,
	}
	l.wantMetrics(t, clock.Now(), want, "CacheClusterId", "lab-cache-001")

	// A minute later, rates cover the minute since the previous sample.
	next := strings.NewReplacer(
		"uptime_in_seconds:100", "uptime_in_seconds:160",
		"evicted_keys:3", "evicted_keys:8",
		"keyspace_hits:900", "keyspace_hits:930",
		"keyspace_misses:100", "keyspace_misses:110",
	).Replace(infoText)
	l.info.set(next)
	got := l.metrics(t, clock.Add(time.Minute),
		cwQuery("ev", "Evictions", "ReplicationGroupId", "lab-cache"),
		cwQuery("hit", "CacheHitRate", "CacheClusterId", "lab-cache-001", "CacheNodeId", "0001"),
		cwQuery("replica", "CurrConnections", "CacheClusterId", "lab-cache-002"),
		cwQuery("other", "CurrConnections", "CacheClusterId", "someone-else"),
	)
	if len(got["ev"]) != 1 || !near(got["ev"][0], 5) {
		t.Errorf("Evictions over the window = %v, want 5", got["ev"])
	}
	if len(got["hit"]) != 1 || !near(got["hit"][0], 75) {
		t.Errorf("CacheHitRate over the window = %v, want 75", got["hit"])
	}
	if len(got["replica"]) != 0 || len(got["other"]) != 0 {
		t.Errorf("clusters without INFO returned data: replica %v other %v", got["replica"], got["other"])
	}
}

func TestGetMetricDataErrors(t *testing.T) {
	l := newLab(t, nil)
	ctx := ctxT(t)
	now := time.Now()
	_, err := l.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Minute)),
		MetricDataQueries: []types.MetricDataQuery{cwQuery("a", "CurrConnections", "CacheClusterId", "lab-cache-001")}})
	var inv *types.InvalidParameterValueException
	if !errors.As(err, &inv) || !strings.Contains(inv.ErrorMessage(), "StartTime must be less than") {
		t.Fatalf("reversed window: %v", err)
	}
	_, err = l.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Minute)), EndTime: aws.Time(now),
		MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("e1"), Expression: aws.String("SUM(METRICS())")}}})
	if !errors.As(err, &inv) || !strings.Contains(inv.ErrorMessage(), "expressions are not supported") {
		t.Fatalf("metric math: %v", err)
	}
	// The source is unreachable (no INFO): a server fault, not made-up data.
	_, err = l.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Minute)), EndTime: aws.Time(now.Add(time.Minute)),
		MetricDataQueries: []types.MetricDataQuery{cwQuery("a", "CurrConnections", "CacheClusterId", "lab-cache-001")}})
	var fault *types.InternalServiceFault
	if !errors.As(err, &fault) || !strings.Contains(fault.ErrorMessage(), "source unreachable") {
		t.Fatalf("INFO failure: %v", err)
	}
	l.info.set(infoText)
	l.srv.Fail("GetMetricData", APIError{Status: 400, Code: "InvalidParameterValueException", Message: "injected"})
	_, err = l.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Minute)), EndTime: aws.Time(now.Add(time.Minute)),
		MetricDataQueries: []types.MetricDataQuery{cwQuery("a", "CurrConnections", "CacheClusterId", "lab-cache-001")}})
	if !errors.As(err, &inv) || inv.ErrorMessage() != "injected" {
		t.Fatalf("injected fault: %v", err)
	}
}
