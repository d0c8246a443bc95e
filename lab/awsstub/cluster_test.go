package awsstub

import (
	"context"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// newClusterLab is newLab with a cluster-mode group of three shards, each
// a primary and a replica; shard i's snapshot is fakeRDB with i appended,
// so each exported object can be told apart.
func newClusterLab(t *testing.T) *lab {
	return newLab(t, func(c *Config) {
		c.PrimaryEndpoint, c.NumReplicas, c.Snapshot = "", 0, nil
		c.ConfigurationEndpoint = "127.0.41.21:7001"
		for i, slots := range []string{"0-5460", "5461-10922", "10923-16383"} {
			body := append(slices.Clone(fakeRDB), byte('0'+i))
			c.Shards = append(c.Shards, Shard{
				Slots: slots,
				Nodes: []string{fmt.Sprintf("127.0.41.%d:7001", 21+i), fmt.Sprintf("127.0.41.%d:7001", 24+i)},
				Snapshot: func(_ context.Context, w io.Writer) error {
					_, err := w.Write(body)
					return err
				},
			})
		}
	})
}

func TestClusterModeGroup(t *testing.T) {
	l := newClusterLab(t)
	ctx := ctxT(t)
	out, err := l.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("lab-cache")})
	must(t, err)
	rg := out.ReplicationGroups[0]
	if !aws.ToBool(rg.ClusterEnabled) || rg.ClusterMode != "enabled" {
		t.Fatalf("ClusterEnabled %v, ClusterMode %q", aws.ToBool(rg.ClusterEnabled), rg.ClusterMode)
	}
	if ep := rg.ConfigurationEndpoint; ep == nil || aws.ToString(ep.Address) != "127.0.41.21" || aws.ToInt32(ep.Port) != 7001 {
		t.Fatalf("ConfigurationEndpoint %+v", rg.ConfigurationEndpoint)
	}
	if len(rg.NodeGroups) != 3 || len(rg.MemberClusters) != 6 {
		t.Fatalf("%d node groups, %d members", len(rg.NodeGroups), len(rg.MemberClusters))
	}
	for i, ng := range rg.NodeGroups {
		if aws.ToString(ng.NodeGroupId) != fmt.Sprintf("%04d", i+1) || ng.PrimaryEndpoint != nil || len(ng.NodeGroupMembers) != 2 {
			t.Fatalf("node group %d: %+v", i, ng)
		}
		p, r := ng.NodeGroupMembers[0], ng.NodeGroupMembers[1]
		if aws.ToString(p.CurrentRole) != "primary" || aws.ToString(r.CurrentRole) != "replica" ||
			aws.ToString(p.CacheClusterId) != fmt.Sprintf("lab-cache-%04d-001", i+1) ||
			aws.ToString(p.ReadEndpoint.Address) != fmt.Sprintf("127.0.41.%d", 21+i) ||
			aws.ToString(p.PreferredAvailabilityZone) == aws.ToString(r.PreferredAvailabilityZone) {
			t.Errorf("node group %d members: %+v / %+v", i, p, r)
		}
	}
	if got := []string{aws.ToString(rg.NodeGroups[0].Slots), aws.ToString(rg.NodeGroups[2].Slots)}; !slices.Equal(got, []string{"0-5460", "10923-16383"}) {
		t.Errorf("slots %v", got)
	}
	cc, err := l.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String("lab-cache-0002-002"), ShowCacheNodeInfo: aws.Bool(true)})
	must(t, err)
	if ep := cc.CacheClusters[0].CacheNodes[0].Endpoint; aws.ToString(ep.Address) != "127.0.41.25" {
		t.Errorf("node endpoint %+v", ep)
	}

	_, err = l.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("lab-cache-0001-001"), SnapshotName: aws.String("one")})
	if !hasCode(err, "InvalidParameterCombination") {
		t.Fatalf("snapshot of one cluster of a cluster-mode group: %v", err)
	}
	_, err = l.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("lab-cache"), SnapshotName: aws.String("cutover-1")})
	must(t, err)
	eventually(t, "snapshot available", func() bool { return l.snapshotStatus(t, "cutover-1") == "available" })
	snaps, err := l.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String("cutover-1")})
	must(t, err)
	sn := snaps.Snapshots[0]
	if aws.ToInt32(sn.NumNodeGroups) != 3 || len(sn.NodeSnapshots) != 3 || aws.ToString(sn.CacheClusterId) != "" {
		t.Fatalf("snapshot %d node groups, %d node snapshots, cluster %q", aws.ToInt32(sn.NumNodeGroups), len(sn.NodeSnapshots), aws.ToString(sn.CacheClusterId))
	}
	for i, n := range sn.NodeSnapshots {
		if aws.ToString(n.NodeGroupId) != fmt.Sprintf("%04d", i+1) || aws.ToString(n.CacheClusterId) != fmt.Sprintf("lab-cache-%04d-002", i+1) {
			t.Errorf("node snapshot %d: group %s from %s (want the shard's replica)", i, aws.ToString(n.NodeGroupId), aws.ToString(n.CacheClusterId))
		}
	}

	_, err = l.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("cutover-1"), TargetSnapshotName: aws.String("cutover-1"), TargetBucket: aws.String("lab-exports")})
	must(t, err)
	eventually(t, "export finished", func() bool { return l.snapshotStatus(t, "cutover-1") == "available" })
	for i := range 3 {
		key := fmt.Sprintf("cutover-1-%04d.rdb", i+1)
		obj, err := l.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("lab-exports"), Key: aws.String(key)})
		must(t, err)
		body, err := io.ReadAll(obj.Body)
		_ = obj.Body.Close()
		must(t, err)
		if want := append(slices.Clone(fakeRDB), byte('0'+i)); string(body) != string(want) {
			t.Errorf("%s holds %q, not shard %d's RDB", key, body, i+1)
		}
	}
}
