package probes

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/zone"
	"github.com/cutover/cutover/runbook"
)

// elastiCacheLab puts the AWS stand-in in front of a real redis-server
// seeded with keys, and returns a config whose source is that group; edit
// changes the stand-in's account.
func elastiCacheLab(t *testing.T, keys int, edit ...func(*awsstub.Config)) *runbook.Config {
	t.Helper()
	r := redisPW(t, "pw", "maxmemory 64mb", "maxmemory-policy allkeys-lru")
	c := Client(source(r.Addr(), "pw"), "seed")
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	for i := range keys {
		if err := c.Set(ctx, fmt.Sprint("k", i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	zones := zone.NewStore()
	if err := zones.AddZone("Z0LAB", "lab.internal"); err != nil {
		t.Fatal(err)
	}
	ac := awsstub.Config{
		ReplicationGroupID: "lab-cache", PrimaryEndpoint: "source.lab.internal:6379",
		AuthTokenEnabled: true, TransitEncryption: true, AtRestEncryption: true, MultiAZ: true, AutomaticFailover: true,
		NumReplicas: 1, SnapshotRetentionLimit: 1, SnapshotWindow: "05:00-06:00",
		Parameters: map[string]string{"maxmemory-policy": "allkeys-lru", "notify-keyspace-events": "Ex"},
		Snapshot:   func(context.Context, io.Writer) error { return nil },
		Info:       func(ctx context.Context) (string, error) { return c.Info(ctx).Result() },
		Zones:      zones,
	}
	for _, e := range edit {
		e(&ac)
	}
	srv, err := awsstub.Start(ac)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	src := source(r.Addr(), "pw")
	src.Kind, src.ReplicationGroup = "elasticache", "lab-cache"
	cfg := labConfig(src, target(r.Addr(), "pw"))
	cfg.AWS = runbook.AWS{Region: "us-east-1", Endpoint: srv.URL()}
	return cfg
}

func TestDiscoverElastiCache(t *testing.T) {
	t.Parallel()
	cfg := elastiCacheLab(t, 3)
	res := runCheck(t, "inventory.discover", envFor(cfg, nil))
	wantResult(t, res, true, "redis 7.0.15 on cache.r7g.large, 1 shard(s), auth token")
	for k, want := range map[string]string{
		"engine": "redis", "version": "7.0.15", "node_type": "cache.r7g.large", "cluster_mode": "disabled",
		"shards": "1", "replicas_per_shard": "1", "auth": "token", "transit_encryption": "true",
		"at_rest_encryption": "true", "multi_az": "true", "automatic_failover": "true", "global_datastore": "false",
		"snapshot_retention": "1", "snapshot_window": "05:00-06:00", "maxmemory-policy": "allkeys-lru",
		"param.maxmemory-policy": "allkeys-lru", "param.notify-keyspace-events": "Ex", "keyspace_events": "settable",
		"primary_endpoint": "source.lab.internal:6379",
	} {
		if got := res.Outputs[k]; got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	cfg.Source.ReplicationGroup = "nosuch"
	res = runCheck(t, "inventory.discover", envFor(cfg, nil))
	wantResult(t, res, false, `replication group "nosuch" not found (check source.replication_group and aws.region)`)
}

func TestCloudWatchMapping(t *testing.T) {
	t.Parallel()
	cfg := elastiCacheLab(t, 7)
	ctx := context.Background()
	cw, err := NewCloudWatch(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if cw.ClusterID != "lab-cache-001" {
		t.Fatalf("cluster %q", cw.ClusterID)
	}
	vals, err := cw.Fetch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"CurrConnections", "CurrItems", "IsMaster", "BytesUsedForCache", "DatabaseMemoryUsagePercentage", "NetworkBytesIn"} {
		if _, ok := vals[m]; !ok {
			t.Errorf("no %s in %v", m, vals)
		}
	}
	if vals["CurrItems"] != 7 || vals["IsMaster"] != 1 {
		t.Fatalf("values %v", vals)
	}
	p := SourcePoller(cfg)
	defer p.Close()
	src := Point{Sample: p.Poll(ctx)}
	rows := cw.Table.Rows(src, Point{}, vals)
	for _, r := range rows {
		if r.CloudWatch == "CurrItems" && (r.CW != "7" || r.Source != "7" || r.Target != "-") {
			t.Fatalf("CurrItems row %+v", r)
		}
	}

	cfg.Source.Kind = "redis"
	if _, err := NewCloudWatch(ctx, cfg); err == nil {
		t.Fatal("CloudWatch for a redis source")
	}
}
