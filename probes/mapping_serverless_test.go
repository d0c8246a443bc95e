package probes

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// A serverless source's table: its metrics under dimension clusterId read
// through the SDK's CloudWatch client, beside the source's and target's
// INFO, and "no self-managed equivalent" where a server has none.
func TestServerlessCloudWatchMapping(t *testing.T) {
	t.Parallel()
	cfg, _ := serverlessLab(t)
	ctx := context.Background()
	app := Client(cfg.Source, "test")
	defer app.Close()
	for _, k := range []string{"a", "b", "c"} {
		if err := app.Set(ctx, k, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		app.Get(ctx, k)
	}
	cw, err := NewCloudWatch(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if cw.ClusterID != "lab-cache" || cw.Dimension != "clusterId" {
		t.Fatalf("metrics of %s=%s", cw.Dimension, cw.ClusterID)
	}
	vals, err := cw.Fetch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	src := SourcePoller(cfg)
	defer src.Close()
	tgt := TargetPoller(cfg)
	defer tgt.Close()
	rows := cw.Table.Rows(Point{Sample: src.Poll(ctx)}, Point{Sample: tgt.Poll(ctx)}, vals)

	var names []string
	byName := map[string]MappingRow{}
	for _, r := range rows {
		names = append(names, r.CloudWatch)
		byName[r.CloudWatch] = r
	}
	want := []string{"ElastiCacheProcessingUnits", "BytesUsedForCache", "CurrItems", "CurrVolatileItems", "CurrConnections",
		"NewConnections", "TotalCmdsCount", "CacheHitRate", "SuccessfulReadRequestLatency", "SuccessfulWriteRequestLatency",
		"ThrottledCmds", "Evictions", "NetworkBytesIn", "NetworkBytesOut"}
	if !slices.Equal(names, want) {
		t.Fatalf("rows %v, want %v", names, want)
	}
	for _, name := range want {
		if r := byName[name]; !r.CWOK {
			t.Errorf("%s: no CloudWatch value (%v)", name, vals)
		}
	}
	for _, name := range []string{"ElastiCacheProcessingUnits", "ThrottledCmds"} {
		if r := byName[name]; !strings.HasPrefix(r.Formula, "no self-managed equivalent") || r.Source != "-" || r.Target != "-" {
			t.Errorf("%s: %+v", name, r)
		}
	}
	if r := byName["SuccessfulReadRequestLatency"]; !strings.HasSuffix(r.CW, " µs") || r.Target != "-" {
		t.Errorf("read latency: %+v", r)
	}
	if r := byName["CurrItems"]; r.CW != "3" || r.Source != "3" || r.Target != "0" {
		t.Errorf("CurrItems: %+v", r)
	}
	if r := byName["ElastiCacheProcessingUnits"]; r.CWValue < byName["TotalCmdsCount"].CWValue {
		t.Errorf("fewer ECPUs (%v) than commands (%v)", r.CWValue, byName["TotalCmdsCount"].CWValue)
	}
}
