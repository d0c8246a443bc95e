package probes

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

var clusterCheck = check{
	summary: "Read the cluster's slot map: every one of the 16384 slots is served, and every shard has a replica.",
	calls: func(cfg *runbook.Config) []string {
		return []string{"CLUSTER SLOTS on " + cfg.Target.URL}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		c := targetClient(cfg, "check")
		defer c.Close()
		slots, err := c.ClusterSlots(ctx).Result()
		if err != nil {
			p.fail("CLUSTER SLOTS", err, "the slot map")
			return p.done("")
		}
		covered, shards, bare := slotCoverage(slots, hostPort(cfg.Target.URL))
		p.row("slots covered", fmt.Sprintf("%d of %d", covered, clusterSlots), "all 16384", covered == clusterSlots)
		p.row("shards", fmt.Sprint(len(shards)), "at least 1", len(shards) > 0)
		v := "none"
		if len(bare) > 0 {
			v = strings.Join(bare, ", ")
		}
		p.row("shards without a replica", v, "none", len(bare) == 0)
		return p.done(fmt.Sprintf("all slots served by %d shards, each with a replica", len(shards)))
	},
}

// slotCoverage counts distinct slots served, the shards (by primary) and
// the primaries that have no replica. A node that has not met another yet
// reports itself without an IP: it is the one asked.
func slotCoverage(slots []redis.ClusterSlot, asked string) (covered int, shards, bare []string) {
	seen := make([]bool, clusterSlots)
	for _, s := range slots {
		for i := max(s.Start, 0); i <= min(s.End, clusterSlots-1); i++ {
			if !seen[i] {
				seen[i] = true
				covered++
			}
		}
		if len(s.Nodes) == 0 {
			continue
		}
		primary := s.Nodes[0].Addr
		if strings.HasPrefix(primary, ":") {
			if host, _, err := net.SplitHostPort(asked); err == nil {
				primary = net.JoinHostPort(host, primary[1:])
			}
		}
		if !slices.Contains(shards, primary) {
			shards = append(shards, primary)
			if len(s.Nodes) < 2 {
				bare = append(bare, primary)
			}
		}
	}
	return covered, shards, bare
}
