package probes

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/cutover/cutover/runbook"
)

// elastiCacheDefaultPolicy is maxmemory-policy in ElastiCache's default
// parameter groups.
const elastiCacheDefaultPolicy = "volatile-lru"

func (p *proof) discoverElastiCache(ctx context.Context, cfg *runbook.Config) runbook.Result {
	awsCfg, err := AWSConfig(ctx, cfg.AWS)
	if err != nil {
		p.row("AWS", err.Error(), "credentials and a region", false)
		return p.done("")
	}
	ec := elastiCache(awsCfg, cfg.AWS)
	rg, err := replicationGroup(ctx, ec, cfg.Source.ReplicationGroup)
	if err != nil {
		p.row("replication group "+cfg.Source.ReplicationGroup, err.Error(), "described", false)
		return p.done("")
	}
	primary, err := primaryMember(rg)
	if err != nil {
		p.row("primary node", err.Error(), "found", false)
		return p.done("")
	}
	cc, err := cacheCluster(ctx, ec, primary)
	if err != nil {
		p.row("node "+primary, err.Error(), "described", false)
		return p.done("")
	}
	p.found(runbook.DiscoverEngine.Name, firstNonEmpty(aws.ToString(rg.Engine), aws.ToString(cc.Engine)))
	p.found(runbook.DiscoverVersion.Name, aws.ToString(cc.EngineVersion))
	p.found("node_type", aws.ToString(rg.CacheNodeType))
	p.found(runbook.DiscoverClusterMode.Name, clusterMode(rg))
	p.found(runbook.DiscoverShards.Name, strconv.Itoa(len(rg.NodeGroups)))
	if len(rg.NodeGroups) > 0 {
		p.found("replicas_per_shard", strconv.Itoa(max(0, len(rg.NodeGroups[0].NodeGroupMembers)-1)))
	}
	if clusterMode(rg) == "enabled" {
		p.shards(rg)
	}
	p.found(runbook.DiscoverAuth.Name, authMode(rg))
	p.found(runbook.DiscoverTransitEncryption.Name, strconv.FormatBool(aws.ToBool(rg.TransitEncryptionEnabled)))
	p.found("at_rest_encryption", strconv.FormatBool(aws.ToBool(rg.AtRestEncryptionEnabled)))
	p.found("multi_az", strconv.FormatBool(rg.MultiAZ == ectypes.MultiAZStatusEnabled))
	p.found("automatic_failover", strconv.FormatBool(rg.AutomaticFailover == ectypes.AutomaticFailoverStatusEnabled))
	global := rg.GlobalReplicationGroupInfo != nil && aws.ToString(rg.GlobalReplicationGroupInfo.GlobalReplicationGroupId) != ""
	p.found(runbook.DiscoverGlobalDatastore.Name, strconv.FormatBool(global))
	if global {
		p.warn("the group is in Global Datastore %s: self-managed Redis has no cross-region replication", aws.ToString(rg.GlobalReplicationGroupInfo.GlobalReplicationGroupId))
	}
	p.found(runbook.DiscoverSnapshotRetention.Name, strconv.Itoa(int(aws.ToInt32(rg.SnapshotRetentionLimit))))
	p.found("snapshot_window", aws.ToString(rg.SnapshotWindow))
	p.found("primary_cluster", primary)
	if ep := primaryEndpoint(rg); ep != "" {
		p.found("primary_endpoint", ep)
	}
	policy := elastiCacheDefaultPolicy
	if cc.CacheParameterGroup != nil {
		group := aws.ToString(cc.CacheParameterGroup.CacheParameterGroupName)
		p.fact("parameter_group", group)
		changed, err := userParameters(ctx, ec, group)
		if err != nil {
			p.row("parameter group "+group, err.Error(), "described", false)
			return p.done("")
		}
		for name, v := range changed {
			p.found("param."+name, v)
		}
		if strings.HasPrefix(group, "default.") {
			p.keyspaceEvents(changed["notify-keyspace-events"], "default-group", fmt.Sprintf("the cluster uses the default parameter group %s, which cannot be modified: create a custom group with notify-keyspace-events=KEA and assign it (ModifyReplicationGroup CacheParameterGroupName=...)", group))
		} else {
			p.keyspaceEvents(changed["notify-keyspace-events"], "settable", fmt.Sprintf("set notify-keyspace-events=KEA in parameter group %s (ModifyCacheParameterGroup; it applies at once, no reboot)", group))
		}
		if v, ok := changed["maxmemory-policy"]; ok {
			policy = v
		}
	}
	p.found(runbook.DiscoverMaxmemoryPolicy.Name, policy)
	return p.done(fmt.Sprintf("%s %s on %s, %d shard(s), auth %s", p.res.Outputs["engine"], p.res.Outputs["version"],
		p.res.Outputs["node_type"], len(rg.NodeGroups), p.res.Outputs["auth"]))
}

// shards records a cluster-mode group's configuration endpoint and a row
// per node group: its slots and members. The node groups' slots must cover
// all 16384.
func (p *proof) shards(rg ectypes.ReplicationGroup) {
	if ep := rg.ConfigurationEndpoint; ep != nil && aws.ToString(ep.Address) != "" {
		p.found(runbook.DiscoverConfigEndpoint.Name, net.JoinHostPort(aws.ToString(ep.Address), strconv.Itoa(int(aws.ToInt32(ep.Port)))))
	} else {
		p.row(runbook.DiscoverConfigEndpoint.Name, "none reported", "the group's configuration endpoint", false)
	}
	slots := newSlotSet()
	covered := 0
	for _, ng := range rg.NodeGroups {
		n, err := slots.addRanges(aws.ToString(ng.Slots))
		covered += n
		v := "slots " + aws.ToString(ng.Slots)
		if err != nil {
			v = err.Error()
		}
		for _, m := range ng.NodeGroupMembers {
			v += "; " + member(m)
		}
		p.row("shard "+aws.ToString(ng.NodeGroupId), v, "", err == nil)
	}
	want := "all 16384 in the node groups"
	if covered == clusterSlots {
		p.row("slots", fmt.Sprintf("%d of %d", covered, clusterSlots), want, true)
	} else {
		p.row("slots", fmt.Sprintf("%d of %d: %s in no node group", covered, clusterSlots, slots.missing()), want, false)
	}
}

// member is "id role host:port (zone)", with what the API reported.
func member(m ectypes.NodeGroupMember) string {
	parts := []string{aws.ToString(m.CacheClusterId)}
	if r := aws.ToString(m.CurrentRole); r != "" {
		parts = append(parts, r)
	}
	if ep := m.ReadEndpoint; ep != nil && aws.ToString(ep.Address) != "" {
		parts = append(parts, net.JoinHostPort(aws.ToString(ep.Address), strconv.Itoa(int(aws.ToInt32(ep.Port)))))
	}
	if z := aws.ToString(m.PreferredAvailabilityZone); z != "" {
		parts = append(parts, "("+z+")")
	}
	return strings.Join(parts, " ")
}

func cacheCluster(ctx context.Context, ec *elasticache.Client, id string) (ectypes.CacheCluster, error) {
	ctx, cancel := context.WithTimeout(ctx, AWSTimeout)
	defer cancel()
	out, err := ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String(id)})
	if err != nil {
		return ectypes.CacheCluster{}, fmt.Errorf("DescribeCacheClusters %s: %s", id, ExplainAWS(err))
	}
	if len(out.CacheClusters) == 0 {
		return ectypes.CacheCluster{}, fmt.Errorf("cache cluster %s, a member of the replication group, is not listed: it may be being replaced; run the check again in a few minutes", id)
	}
	return out.CacheClusters[0], nil
}

// userParameters are the parameters whose value the group's owner set
// (Source "user"): the ones that differ from the engine's defaults.
func userParameters(ctx context.Context, ec *elasticache.Client, group string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, AWSTimeout)
	defer cancel()
	out := map[string]string{}
	pages := elasticache.NewDescribeCacheParametersPaginator(ec, &elasticache.DescribeCacheParametersInput{CacheParameterGroupName: aws.String(group)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("DescribeCacheParameters %s: %s", group, ExplainAWS(err))
		}
		for _, prm := range page.Parameters {
			if aws.ToString(prm.Source) == "user" {
				out[aws.ToString(prm.ParameterName)] = aws.ToString(prm.ParameterValue)
			}
		}
	}
	return out, nil
}

func clusterMode(rg ectypes.ReplicationGroup) string {
	if aws.ToBool(rg.ClusterEnabled) || rg.ClusterMode == ectypes.ClusterModeEnabled {
		return "enabled"
	}
	return "disabled"
}

// authMode: RBAC user groups, else an AUTH token, else none. IAM users
// live inside user groups, so IAM shows as rbac.
func authMode(rg ectypes.ReplicationGroup) string {
	switch {
	case len(rg.UserGroupIds) > 0:
		return "rbac"
	case aws.ToBool(rg.AuthTokenEnabled):
		return "token"
	}
	return "none"
}

func primaryEndpoint(rg ectypes.ReplicationGroup) string {
	ep := rg.ConfigurationEndpoint
	if len(rg.NodeGroups) > 0 && rg.NodeGroups[0].PrimaryEndpoint != nil {
		ep = rg.NodeGroups[0].PrimaryEndpoint
	}
	if ep == nil || aws.ToString(ep.Address) == "" {
		return ""
	}
	return net.JoinHostPort(aws.ToString(ep.Address), strconv.Itoa(int(aws.ToInt32(ep.Port))))
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
