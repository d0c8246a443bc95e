package awsstub

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
)

func TestDescribeReplicationGroups(t *testing.T) {
	l := newLab(t, func(c *Config) {
		c.UserGroupIDs = []string{"lab-users"}
		c.GlobalReplicationGroupID = "ldgnf-lab-global"
		c.SnapshotRetentionLimit = 7
		c.SnapshotWindow = "05:00-06:00"
	})
	ctx := ctxT(t)
	out, err := l.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("lab-cache")})
	must(t, err)
	if len(out.ReplicationGroups) != 1 {
		t.Fatalf("%d groups", len(out.ReplicationGroups))
	}
	g := out.ReplicationGroups[0]
	if aws.ToString(g.ReplicationGroupId) != "lab-cache" || aws.ToString(g.Engine) != "redis" || aws.ToString(g.CacheNodeType) != "cache.r7g.large" {
		t.Errorf("identity: %s %s %s", aws.ToString(g.ReplicationGroupId), aws.ToString(g.Engine), aws.ToString(g.CacheNodeType))
	}
	if !slices.Equal(g.MemberClusters, []string{"lab-cache-001", "lab-cache-002"}) {
		t.Errorf("MemberClusters = %v", g.MemberClusters)
	}
	if aws.ToBool(g.ClusterEnabled) || !aws.ToBool(g.AuthTokenEnabled) || !aws.ToBool(g.TransitEncryptionEnabled) || !aws.ToBool(g.AtRestEncryptionEnabled) {
		t.Errorf("flags: cluster %v auth %v tls %v rest %v", aws.ToBool(g.ClusterEnabled), aws.ToBool(g.AuthTokenEnabled), aws.ToBool(g.TransitEncryptionEnabled), aws.ToBool(g.AtRestEncryptionEnabled))
	}
	if g.MultiAZ != types.MultiAZStatusEnabled || g.AutomaticFailover != types.AutomaticFailoverStatusEnabled {
		t.Errorf("MultiAZ %q AutomaticFailover %q", g.MultiAZ, g.AutomaticFailover)
	}
	if aws.ToInt32(g.SnapshotRetentionLimit) != 7 || aws.ToString(g.SnapshotWindow) != "05:00-06:00" || aws.ToString(g.SnapshottingClusterId) != "lab-cache-002" {
		t.Errorf("backups: %d %q %q", aws.ToInt32(g.SnapshotRetentionLimit), aws.ToString(g.SnapshotWindow), aws.ToString(g.SnapshottingClusterId))
	}
	if g.GlobalReplicationGroupInfo == nil || aws.ToString(g.GlobalReplicationGroupInfo.GlobalReplicationGroupId) != "ldgnf-lab-global" {
		t.Errorf("GlobalReplicationGroupInfo = %+v", g.GlobalReplicationGroupInfo)
	}
	if !slices.Equal(g.UserGroupIds, []string{"lab-users"}) {
		t.Errorf("UserGroupIds = %v", g.UserGroupIds)
	}
	if len(g.NodeGroups) != 1 || len(g.NodeGroups[0].NodeGroupMembers) != 2 {
		t.Fatalf("NodeGroups = %+v", g.NodeGroups)
	}
	ng := g.NodeGroups[0]
	if aws.ToString(ng.PrimaryEndpoint.Address) != "source.lab.internal" || aws.ToInt32(ng.PrimaryEndpoint.Port) != 6379 {
		t.Errorf("PrimaryEndpoint = %s:%d", aws.ToString(ng.PrimaryEndpoint.Address), aws.ToInt32(ng.PrimaryEndpoint.Port))
	}
	if m := ng.NodeGroupMembers[0]; aws.ToString(m.CacheClusterId) != "lab-cache-001" || aws.ToString(m.CurrentRole) != "primary" {
		t.Errorf("first member = %s %s", aws.ToString(m.CacheClusterId), aws.ToString(m.CurrentRole))
	}

	_, err = l.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("nope")})
	var nf *types.ReplicationGroupNotFoundFault
	if !errors.As(err, &nf) {
		t.Fatalf("unknown group: %v", err)
	}
	_, err = l.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{MaxRecords: aws.Int32(5)})
	var bad *types.InvalidParameterValueException
	if !errors.As(err, &bad) {
		t.Fatalf("MaxRecords 5: %v", err)
	}
}

func TestDescribeCacheClustersAndParameters(t *testing.T) {
	l := newLab(t, nil)
	ctx := ctxT(t)
	out, err := l.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{ShowCacheNodeInfo: aws.Bool(true)})
	must(t, err)
	if len(out.CacheClusters) != 2 {
		t.Fatalf("%d clusters", len(out.CacheClusters))
	}
	c := out.CacheClusters[0]
	if aws.ToString(c.EngineVersion) != "7.0.15" || aws.ToString(c.CacheParameterGroup.CacheParameterGroupName) != "lab-cache-params" {
		t.Errorf("EngineVersion %q group %q", aws.ToString(c.EngineVersion), aws.ToString(c.CacheParameterGroup.CacheParameterGroupName))
	}
	if len(c.CacheNodes) != 1 || aws.ToString(c.CacheNodes[0].Endpoint.Address) != "source.lab.internal" {
		t.Errorf("CacheNodes = %+v", c.CacheNodes)
	}
	one, err := l.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String("lab-cache-002")})
	must(t, err)
	if len(one.CacheClusters) != 1 || len(one.CacheClusters[0].CacheNodes) != 0 {
		t.Errorf("one cluster without node info: %+v", one.CacheClusters)
	}
	_, err = l.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String("lab-cache-009")})
	var cnf *types.CacheClusterNotFoundFault
	if !errors.As(err, &cnf) {
		t.Fatalf("unknown cluster: %v", err)
	}

	params, err := l.ec.DescribeCacheParameters(ctx, &elasticache.DescribeCacheParametersInput{CacheParameterGroupName: aws.String("lab-cache-params")})
	must(t, err)
	got := map[string][2]string{}
	for _, p := range params.Parameters {
		got[aws.ToString(p.ParameterName)] = [2]string{aws.ToString(p.ParameterValue), aws.ToString(p.Source)}
	}
	for name, want := range map[string][2]string{
		"maxmemory-policy":       {"allkeys-lru", "user"},
		"notify-keyspace-events": {"Ex", "user"},
		"timeout":                {"0", "system"},
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	user, err := l.ec.DescribeCacheParameters(ctx, &elasticache.DescribeCacheParametersInput{CacheParameterGroupName: aws.String("lab-cache-params"), Source: aws.String("user")})
	must(t, err)
	if len(user.Parameters) != 2 {
		t.Errorf("Source=user gave %d parameters, want 2", len(user.Parameters))
	}
	def, err := l.ec.DescribeCacheParameters(ctx, &elasticache.DescribeCacheParametersInput{CacheParameterGroupName: aws.String("default.redis7")})
	must(t, err)
	for _, p := range def.Parameters {
		if aws.ToString(p.ParameterName) == "maxmemory-policy" && aws.ToString(p.ParameterValue) != "volatile-lru" {
			t.Errorf("default maxmemory-policy = %q", aws.ToString(p.ParameterValue))
		}
	}
	// Paging: 20 per page walks every parameter exactly once.
	var all []string
	pager := elasticache.NewDescribeCacheParametersPaginator(l.ec, &elasticache.DescribeCacheParametersInput{CacheParameterGroupName: aws.String("default.redis7"), MaxRecords: aws.Int32(20)})
	for pager.HasMorePages() {
		pg, err := pager.NextPage(ctx)
		must(t, err)
		for _, p := range pg.Parameters {
			all = append(all, aws.ToString(p.ParameterName))
		}
	}
	if len(all) != len(def.Parameters) || len(all) <= 20 {
		t.Errorf("paged %d parameters, unpaged %d", len(all), len(def.Parameters))
	}
	_, err = l.ec.DescribeCacheParameters(ctx, &elasticache.DescribeCacheParametersInput{CacheParameterGroupName: aws.String("nope")})
	var pnf *types.CacheParameterGroupNotFoundFault
	if !errors.As(err, &pnf) {
		t.Fatalf("unknown parameter group: %v", err)
	}
}
