package probes

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/cutover/cutover/lab/awsstub"
)

// A cluster-mode group: its shards, their slots and members, and the
// configuration endpoint come from DescribeReplicationGroups.
func TestDiscoverElastiCacheClusterMode(t *testing.T) {
	t.Parallel()
	shards := func(slots ...string) func(*awsstub.Config) {
		return func(c *awsstub.Config) {
			c.PrimaryEndpoint, c.NumReplicas, c.Snapshot = "", 0, nil
			c.ConfigurationEndpoint = "clustercfg.lab-cache.lab.internal:6379"
			c.Shards = nil
			for i, s := range slots {
				c.Shards = append(c.Shards, awsstub.Shard{Slots: s,
					Nodes:    []string{"10.0.0." + string(rune('1'+i)) + ":6379", "10.0.1." + string(rune('1'+i)) + ":6379"},
					Snapshot: func(context.Context, io.Writer) error { return nil }})
			}
		}
	}
	cfg := elastiCacheLab(t, 3, shards("0-5460", "5461-10922", "10923-16383"))
	res := runCheck(t, "inventory.discover", envFor(cfg, nil))
	wantResult(t, res, true, "3 shard(s)")
	for k, want := range map[string]string{"cluster_mode": "enabled", "shards": "3", "replicas_per_shard": "1",
		"configuration_endpoint": "clustercfg.lab-cache.lab.internal:6379"} {
		if got := res.Outputs[k]; got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if e := evidence(t, res, "shard 0002"); e.Value != "slots 5461-10922; lab-cache-0002-001 primary 10.0.0.2:6379 (us-east-1b); lab-cache-0002-002 replica 10.0.1.2:6379 (us-east-1c)" {
		t.Errorf("shard row %q", e.Value)
	}
	if e := evidence(t, res, "slots"); !e.OK || e.Value != "16384 of 16384" {
		t.Errorf("slots row %+v", e)
	}

	cfg = elastiCacheLab(t, 3, shards("0-5460", "10923-16383"))
	res = runCheck(t, "inventory.discover", envFor(cfg, nil))
	if e := evidence(t, res, "slots"); e.OK || !strings.Contains(e.Value, "5461-10922 in no node group") {
		t.Errorf("slots row with a shard missing: %+v", e)
	}
}
