package probes

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cutover/cutover/runbook"
)

// redisDefaults are the settings worth carrying over, with Redis's
// defaults: a value that differs becomes a param.<name> fact.
var redisDefaults = map[string]string{
	"maxmemory-policy":       "noeviction",
	"notify-keyspace-events": "",
	"timeout":                "0",
	"appendonly":             "no",
	"save":                   "3600 1 300 100 60 10000",
	"maxmemory":              "0",
	"databases":              "16",
}

func redisDefaultNames() []string {
	names := make([]string, 0, len(redisDefaults))
	for n := range redisDefaults {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (p *proof) discoverRedis(ctx context.Context, cfg *runbook.Config) runbook.Result {
	c := sourceClient(cfg, "discover")
	defer c.Close()
	in, err := infoOf(ctx, c)
	if err != nil {
		p.fail("INFO on the source", err, "an answer")
		return p.done("")
	}
	engine, version := "redis", in.RedisVersion
	if in.ValkeyVersion != "" {
		engine, version = "valkey", in.ValkeyVersion
	}
	p.found(runbook.DiscoverEngine.Name, engine)
	p.found(runbook.DiscoverVersion.Name, version)
	p.found("role", in.Role)
	mode := "disabled"
	if in.ClusterEnabled {
		mode = "enabled"
	}
	p.found(runbook.DiscoverClusterMode.Name, mode)
	p.found("replicas", strconv.FormatInt(in.ConnectedSlaves, 10))
	auth := "token"
	if cfg.Source.Username != "" {
		auth = "acl"
	}
	p.found(runbook.DiscoverAuth.Name, auth)
	p.found(runbook.DiscoverTransitEncryption.Name, strconv.FormatBool(strings.HasPrefix(cfg.Source.URL, "rediss://")))
	p.found(runbook.DiscoverGlobalDatastore.Name, "false")
	p.found("primary_endpoint", hostPort(cfg.Source.URL))
	p.found("keys", strconv.FormatInt(in.Keys(), 10))
	p.found("used_memory", strconv.FormatInt(in.UsedMemory, 10))
	p.found(runbook.DiscoverMaxmemoryPolicy.Name, in.MaxMemoryPolicy)
	configOK := true
	for _, name := range redisDefaultNames() {
		v, err := c.ConfigGet(ctx, name).Result()
		if err != nil {
			p.warn("CONFIG GET %s: %s; settings that differ from the defaults are not listed", name, Explain(err))
			configOK = false
			break
		}
		got, ok := v[name]
		if ok && got != redisDefaults[name] {
			p.found("param."+name, got)
		}
		if name == "notify-keyspace-events" {
			p.keyspaceEvents(got, "settable", "set it with CONFIG SET notify-keyspace-events KEA (and in redis.conf, so a restart keeps it)")
		}
	}
	if !configOK {
		p.fact("keyspace_events", "unknown")
	}
	return p.done(fmt.Sprintf("%s %s, role %s, %d replica(s), %d keys", engine, version, in.Role, in.ConnectedSlaves, in.Keys()))
}
