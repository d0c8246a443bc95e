package lab

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// The serverless lab: a TLS source that refuses what ElastiCache
// Serverless refuses, described by the stand-in as a serverless cache,
// and a cutover.yaml that loads with source.kind elasticache-serverless.
func TestServerlessLab(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, cfg := startLab(t, Options{Keys: 500, Serverless: true})
	if !cfg.Source.Serverless() || cfg.Source.ServerlessCache != ServerlessCache || cfg.Source.URL != "rediss://"+l.SourceTLS || cfg.Source.Username != SourceUser {
		t.Fatalf("source %+v", cfg.Source)
	}

	ec, _ := awsClients(l)
	out, err := ec.DescribeServerlessCaches(ctx, &elasticache.DescribeServerlessCachesInput{ServerlessCacheName: aws.String(ServerlessCache)})
	if err != nil || len(out.ServerlessCaches) != 1 {
		t.Fatalf("DescribeServerlessCaches: %+v, %v", out, err)
	}
	if ep := out.ServerlessCaches[0].Endpoint; net.JoinHostPort(aws.ToString(ep.Address), strconv.Itoa(int(aws.ToInt32(ep.Port)))) != l.SourceTLS {
		t.Errorf("endpoint %s:%d, the source's TLS address is %s", aws.ToString(ep.Address), aws.ToInt32(ep.Port), l.SourceTLS)
	}
	groups, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{})
	if err != nil || len(groups.ReplicationGroups) != 0 {
		t.Errorf("replication groups in a serverless account: %+v, %v", groups, err)
	}

	// cutover's own connection: TLS verified against the lab CA, as SourceUser.
	c := probes.Client(cfg.Source, "test", probes.ConfigDir(cfg.Dir))
	defer c.Close()
	if n, err := c.DBSize(ctx).Result(); err != nil || n < 500 {
		t.Fatalf("DBSIZE over TLS: %d, %v", n, err)
	}
	for _, cmd := range [][]any{{"CONFIG", "GET", "maxmemory"}, {"LASTSAVE"}, {"BGSAVE"}} {
		if err := c.Do(ctx, cmd...).Err(); err == nil || !strings.Contains(err.Error(), "unknown command") {
			t.Errorf("%v: want unknown command, got %v", cmd, err)
		}
	}
	if err := c.Do(ctx, "CLIENT", "LIST").Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
		t.Errorf("CLIENT LIST: want NOPERM, got %v", err)
	}
	admin := client(l.Source, l.Source.Password)
	defer admin.Close()
	for _, u := range []string{SourceUser, "app"} {
		for _, cmd := range [][]any{{"SYNC"}, {"PSYNC", "?", "-1"}} {
			if v, err := admin.Do(ctx, append([]any{"ACL", "DRYRUN", u}, cmd...)...).Text(); err != nil || !strings.Contains(v, "no permissions") {
				t.Errorf("ACL DRYRUN %s %s = %q, %v: want it refused", u, cmd, v, err)
			}
		}
	}
	// CloudWatch has the cache's metrics under clusterId, the latencies
	// those of the calls since the stand-in's first sample.
	if err := c.Set(ctx, "cw:probe", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, "cw:probe").Err(); err != nil {
		t.Fatal(err)
	}
	cw, err := probes.NewCloudWatch(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := cw.Fetch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"ElastiCacheProcessingUnits", "TotalCmdsCount", "SuccessfulReadRequestLatency", "SuccessfulWriteRequestLatency", "ThrottledCmds", "BytesUsedForCache"} {
		if _, ok := vals[m]; !ok {
			t.Errorf("no %s in %v", m, vals)
		}
	}
	if vals["CurrItems"] < 500 {
		t.Errorf("CurrItems %v, the source has 500 keys", vals["CurrItems"])
	}

	// No plaintext on the serverless endpoint.
	plain := cfg.Source
	plain.URL, plain.TLS = "redis://"+l.SourceTLS, runbook.TLS{}
	pc := probes.Client(plain, "test")
	defer pc.Close()
	if err := pc.Ping(ctx).Err(); err == nil {
		t.Error("the serverless endpoint answers without TLS")
	}
}

// startLab starts a lab in a temporary directory, logging to the test,
// and loads its cutover.yaml.
func startLab(t *testing.T, opts Options) (*Lab, *runbook.Config) {
	t.Helper()
	opts.Dir, opts.Log = t.TempDir(), logWriter{t}
	l, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	cfg, err := runbook.LoadConfig(l.ConfigPath, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return l, cfg
}
