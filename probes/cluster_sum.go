package probes

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

// scope is which nodes of an endpoint a nodeSet holds.
type scope int

const (
	oneNode   scope = iota // the endpoint itself
	primaries              // every primary of its cluster
	everyNode              // every primary and replica of its cluster
)

// clusterNodes are the nodes of the cluster ep is a node of, as its
// CLUSTER SLOTS names them: the primaries in slot order, then (everyNode)
// their replicas.
func clusterNodes(ctx context.Context, cfg *runbook.Config, ep runbook.Endpoint, sc scope) ([]string, error) {
	c := Client(ep, "slots", ConfigDir(cfg.Dir), PoolSize(1))
	defer c.Close()
	slots, err := c.ClusterSlots(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("CLUSTER SLOTS on %s: %s", hostPort(ep.URL), Explain(err))
	}
	slices.SortFunc(slots, func(a, b redis.ClusterSlot) int { return a.Start - b.Start })
	var out, replicas []string
	for _, s := range slots {
		for i, n := range s.Nodes {
			switch {
			case i == 0 && !slices.Contains(out, n.Addr):
				out = append(out, n.Addr)
			case i > 0 && sc == everyNode && !slices.Contains(replicas, n.Addr):
				replicas = append(replicas, n.Addr)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("CLUSTER SLOTS on %s names no primary: no slot is assigned", hostPort(ep.URL))
	}
	return append(out, replicas...), nil
}

// clusterPrimaries are the primaries of ep's cluster, in slot order.
func clusterPrimaries(ctx context.Context, cfg *runbook.Config, ep runbook.Endpoint) ([]string, error) {
	return clusterNodes(ctx, cfg, ep, primaries)
}

// nodeSet is one connection to each node of a set: one server, or the
// primaries (or every node) of a cluster; read sums their INFO (sumInfo).
type nodeSet []*redis.Client

// openNodeSet connects to the nodes of ep that sc names.
func openNodeSet(ctx context.Context, cfg *runbook.Config, ep runbook.Endpoint, sc scope, purpose string) (nodeSet, error) {
	if sc == oneNode {
		return nodeSet{Client(ep, purpose, ConfigDir(cfg.Dir), PoolSize(1))}, nil
	}
	addrs, err := clusterNodes(ctx, cfg, ep, sc)
	if err != nil {
		return nil, err
	}
	var s nodeSet
	for _, a := range addrs {
		s = append(s, Client(ep, purpose, ConfigDir(cfg.Dir), Addr(a), PoolSize(1)))
	}
	return s, nil
}

func (s nodeSet) read(ctx context.Context) (Info, error) {
	var all []Info
	for _, c := range s {
		in, err := infoOf(ctx, c)
		if err != nil {
			if len(s) > 1 {
				err = fmt.Errorf("%s: %w", c.Options().Addr, err)
			}
			return Info{}, err
		}
		all = append(all, in)
	}
	return sumInfo(all...), nil
}

func (s nodeSet) Close() {
	for _, c := range s {
		c.Close()
	}
}

// sumInfo adds up the counters of several nodes' INFO that judge a whole
// cluster: commands, hits and misses, memory, clients, keys per db and
// error replies. The rest is the first node's.
func sumInfo(infos ...Info) Info {
	if len(infos) == 0 {
		return Info{}
	}
	out := infos[0]
	out.Raw = maps.Clone(infos[0].Raw)
	errs := errorCounts(infos[0])
	dbs := map[int]DB{}
	for i, in := range infos {
		for _, d := range in.Keyspace {
			s := dbs[d.Index]
			s.Index, s.Keys, s.Expires = d.Index, s.Keys+d.Keys, s.Expires+d.Expires
			dbs[d.Index] = s
		}
		if i == 0 {
			continue
		}
		out.TotalCommandsProcessed += in.TotalCommandsProcessed
		out.InstantaneousOpsPerSec += in.InstantaneousOpsPerSec
		out.KeyspaceHits += in.KeyspaceHits
		out.KeyspaceMisses += in.KeyspaceMisses
		out.UsedMemory += in.UsedMemory
		out.MaxMemory += in.MaxMemory
		out.ConnectedClients += in.ConnectedClients
		out.TotalNetInputBytes += in.TotalNetInputBytes
		out.TotalNetOutputBytes += in.TotalNetOutputBytes
		out.EvictedKeys += in.EvictedKeys
		out.ExpiredKeys += in.ExpiredKeys
		for k, n := range errorCounts(in) {
			errs[k] += n
		}
	}
	for k, n := range errs {
		out.Raw["errorstat_"+k] = "count=" + strconv.FormatInt(n, 10)
	}
	out.Keyspace = nil
	for _, i := range slices.Sorted(maps.Keys(dbs)) {
		out.Keyspace = append(out.Keyspace, dbs[i])
	}
	return out
}

// TargetPrimaries are the target's primaries: its one primary (asking the
// sentinels for a sentinel target), or every primary of a cluster.
func TargetPrimaries(ctx context.Context, cfg *runbook.Config) ([]string, error) {
	if cfg.Target.Kind == "cluster" {
		return clusterPrimaries(ctx, cfg, cfg.Target.Endpoint)
	}
	addr, err := TargetPrimary(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return []string{addr}, nil
}

// targetNodes connects to the target (its URL), or to every primary of a
// cluster target.
func targetNodes(ctx context.Context, cfg *runbook.Config, purpose string) (nodeSet, error) {
	sc := oneNode
	if cfg.Target.Kind == "cluster" {
		sc = primaries
	}
	return openNodeSet(ctx, cfg, cfg.Target.Endpoint, sc, purpose)
}

// label names a node in a row when the set has several: "host:port: ".
func (s nodeSet) label(c *redis.Client) string {
	if len(s) < 2 {
		return ""
	}
	return c.Options().Addr + ": "
}
