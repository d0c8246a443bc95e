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

// clusterPrimaries are the primaries of a cluster target, as the seed
// node's CLUSTER SLOTS names them, in slot order.
func clusterPrimaries(ctx context.Context, cfg *runbook.Config) ([]string, error) {
	c := targetClient(cfg, "slots", PoolSize(1))
	defer c.Close()
	slots, err := c.ClusterSlots(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("CLUSTER SLOTS on %s: %s", hostPort(cfg.Target.URL), Explain(err))
	}
	slices.SortFunc(slots, func(a, b redis.ClusterSlot) int { return a.Start - b.Start })
	var out []string
	for _, s := range slots {
		if len(s.Nodes) > 0 && !slices.Contains(out, s.Nodes[0].Addr) {
			out = append(out, s.Nodes[0].Addr)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("CLUSTER SLOTS on %s names no primary: no slot is assigned", hostPort(cfg.Target.URL))
	}
	return out, nil
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
