package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/cutover/cutover/runbook"
)

// ElastiCache Serverless refuses these, so no probe sends them to such a
// source: a row says what was skipped and why instead.
const (
	serverlessNoConfig     = "ElastiCache Serverless refuses CONFIG"
	serverlessNoClientList = "ElastiCache Serverless refuses CLIENT LIST"
	serverlessNoKeyspace   = "ElastiCache Serverless has no keyspace notifications (CONFIG is refused, there is no parameter group)"
)

// serverlessPolicy is how a serverless cache evicts: at its data storage
// limit it evicts keys that have a TTL, least recently used first, and
// refuses writes with OOM when none is left; no parameter changes that.
const serverlessPolicy = "volatile-lru"

// serverlessCache describes one serverless cache.
func serverlessCache(ctx context.Context, ec *elasticache.Client, name string) (ectypes.ServerlessCache, error) {
	ctx, cancel := context.WithTimeout(ctx, AWSTimeout)
	defer cancel()
	out, err := ec.DescribeServerlessCaches(ctx, &elasticache.DescribeServerlessCachesInput{ServerlessCacheName: aws.String(name)})
	var nf *ectypes.ServerlessCacheNotFoundFault
	switch {
	case errors.As(err, &nf) || err == nil && len(out.ServerlessCaches) == 0:
		return ectypes.ServerlessCache{}, fmt.Errorf("serverless cache %q not found (check source.serverless_cache and aws.region)", name)
	case err != nil:
		return ectypes.ServerlessCache{}, fmt.Errorf("DescribeServerlessCaches %s: %s", name, ExplainAWS(err))
	}
	return out.ServerlessCaches[0], nil
}

// skipped records a measurement not made, and why: a passing row, since
// nothing was measured wrong, that says what the operator must look at.
func (p *proof) skipped(name, reason string) {
	p.row(name, "skipped: "+reason, "", true)
}

func (p *proof) discoverServerless(ctx context.Context, cfg *runbook.Config) runbook.Result {
	awsCfg, err := AWSConfig(ctx, cfg.AWS)
	if err != nil {
		p.row("AWS", err.Error(), "credentials and a region", false)
		return p.done("")
	}
	ec := elastiCache(awsCfg, cfg.AWS)
	name := cfg.Source.ServerlessCache
	sc, err := serverlessCache(ctx, ec, name)
	if err != nil {
		p.row("serverless cache "+name, err.Error(), "described", false)
		return p.done("")
	}
	if st := aws.ToString(sc.Status); !strings.EqualFold(st, "available") {
		p.row("status", st, "available", false)
		p.fix("wait until DescribeServerlessCaches shows %s available, then run the check again", name)
	}
	p.found(runbook.DiscoverEngine.Name, aws.ToString(sc.Engine))
	p.found(runbook.DiscoverVersion.Name, aws.ToString(sc.FullEngineVersion))
	p.found("endpoint", endpointOf(sc.Endpoint))
	p.found("reader_endpoint", endpointOf(sc.ReaderEndpoint))
	p.row(runbook.DiscoverClusterMode.Name, "enabled: one virtual shard, so the applications' clients run in cluster mode (a sentinel or standalone target needs them switched to a plain client)", "", true)
	p.fact(runbook.DiscoverClusterMode.Name, "enabled")
	p.found("shards", "1")
	auth, group := "none", aws.ToString(sc.UserGroupId)
	if group != "" {
		auth = "rbac"
		p.found("user_group", group)
		users, err := groupUsers(ctx, ec, []string{group})
		if err != nil {
			p.row("users of "+group, err.Error(), "described", false)
			return p.done("")
		}
		var names []string
		for _, u := range users {
			names = append(names, u.name)
		}
		p.found("users", strings.Join(names, ","))
	}
	p.found(runbook.DiscoverAuth.Name, auth)
	// Always on for serverless: not options of the cache.
	p.found(runbook.DiscoverTransitEncryption.Name, "true")
	p.found("at_rest_encryption", "true")
	p.found(runbook.DiscoverGlobalDatastore.Name, "false")
	p.found("data_storage_limit", dataLimit(sc.CacheUsageLimits))
	p.found("ecpu_limit", ecpuLimit(sc.CacheUsageLimits))
	p.found(runbook.DiscoverSnapshotRetention.Name, strconv.Itoa(int(aws.ToInt32(sc.SnapshotRetentionLimit))))
	if t := aws.ToString(sc.DailySnapshotTime); t != "" {
		p.found("daily_snapshot_time", t)
	}
	p.found("security_groups", strings.Join(sc.SecurityGroupIds, ","))
	p.row(runbook.DiscoverMaxmemoryPolicy.Name, serverlessPolicy+": at its data storage limit a serverless cache evicts keys with a TTL, least recently used first, and refuses other writes with OOM", "", true)
	p.fact(runbook.DiscoverMaxmemoryPolicy.Name, serverlessPolicy)
	p.row("notify-keyspace-events", "unavailable: "+serverlessNoKeyspace+"; a live sync cannot follow changes, use the rdb strategy", "", true)
	p.fact(runbook.DiscoverKeyspaceEvents.Name, "unavailable")
	return p.done(fmt.Sprintf("serverless %s %s, endpoint %s, auth %s, data storage %s", p.res.Outputs["engine"], p.res.Outputs["version"],
		p.res.Outputs["endpoint"], auth, p.res.Outputs["data_storage_limit"]))
}

func endpointOf(ep *ectypes.Endpoint) string {
	if ep == nil || aws.ToString(ep.Address) == "" {
		return "none"
	}
	return net.JoinHostPort(aws.ToString(ep.Address), strconv.Itoa(int(aws.ToInt32(ep.Port))))
}

func dataLimit(l *ectypes.CacheUsageLimits) string {
	if l == nil || l.DataStorage == nil || l.DataStorage.Maximum == nil {
		return "no maximum"
	}
	return fmt.Sprintf("max %d %s", aws.ToInt32(l.DataStorage.Maximum), l.DataStorage.Unit)
}

func ecpuLimit(l *ectypes.CacheUsageLimits) string {
	if l == nil || l.ECPUPerSecond == nil || l.ECPUPerSecond.Maximum == nil {
		return "no maximum"
	}
	return fmt.Sprintf("max %d ECPU/s", aws.ToInt32(l.ECPUPerSecond.Maximum))
}
