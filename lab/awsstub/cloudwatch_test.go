package awsstub

import (
	"errors"
	"math"
	"strings"
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

func (l *lab) metrics(t *testing.T, qs ...types.MetricDataQuery) map[string][]float64 {
	t.Helper()
	now := time.Now()
	out, err := l.cw.GetMetricData(ctxT(t), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-10 * time.Minute)), EndTime: aws.Time(now.Add(time.Minute)), MetricDataQueries: qs})
	must(t, err)
	got := map[string][]float64{}
	for _, r := range out.MetricDataResults {
		if r.StatusCode != types.StatusCodeComplete || len(r.Timestamps) != len(r.Values) {
			t.Fatalf("result %s: status %q, %d timestamps for %d values", aws.ToString(r.Id), r.StatusCode, len(r.Timestamps), len(r.Values))
		}
		for _, ts := range r.Timestamps {
			if time.Since(ts) > 2*time.Minute || time.Until(ts) > time.Second {
				t.Errorf("result %s: timestamp %v is not the current period", aws.ToString(r.Id), ts)
			}
		}
		got[aws.ToString(r.Id)] = r.Values
	}
	return got
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestGetMetricDataFromINFO(t *testing.T) {
	l := newLab(t, nil)
	l.info.set(infoText)
	want := map[string]float64{
		"CurrConnections":               12,
		"CacheHitRate":                  90,
		"EngineCPUUtilization":          4, // 4 s of main-thread CPU over 100 s of uptime
		"DatabaseMemoryUsagePercentage": 25,
		"Evictions":                     3,
		"Reclaimed":                     7,
		"CurrItems":                     100,
		"CurrVolatileItems":             15,
		"NewConnections":                40,
		"BytesUsedForCache":             52428800,
		"MemoryFragmentationRatio":      1.25,
		"ReplicationLag":                2,
		"SaveInProgress":                0,
		"IsMaster":                      1,
		"NetworkBytesIn":                10000,
		"NetworkBytesOut":               50000,
	}
	var qs []types.MetricDataQuery
	ids := map[string]string{}
	i := 0
	for name := range want {
		id := "m" + string(rune('a'+i))
		i++
		ids[id] = name
		qs = append(qs, cwQuery(id, name, "CacheClusterId", "lab-cache-001"))
	}
	got := l.metrics(t, qs...)
	for id, name := range ids {
		if len(got[id]) != 1 || !near(got[id][0], want[name]) {
			t.Errorf("%s = %v, want %v", name, got[id], want[name])
		}
	}

	// Rates cover the window since the previous sample.
	next := strings.NewReplacer(
		"uptime_in_seconds:100", "uptime_in_seconds:160",
		"evicted_keys:3", "evicted_keys:8",
		"keyspace_hits:900", "keyspace_hits:930",
		"keyspace_misses:100", "keyspace_misses:110",
	).Replace(infoText)
	l.info.set(next)
	got = l.metrics(t,
		cwQuery("ev", "Evictions", "ReplicationGroupId", "lab-cache"),
		cwQuery("hit", "CacheHitRate", "CacheClusterId", "lab-cache-001", "CacheNodeId", "0001"),
		cwQuery("replica", "CurrConnections", "CacheClusterId", "lab-cache-002"),
		cwQuery("other", "CurrConnections", "CacheClusterId", "someone-else"),
	)
	if len(got["ev"]) != 1 || got["ev"][0] != 5 {
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
