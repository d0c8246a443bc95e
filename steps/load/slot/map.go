// Package slot is a Redis Cluster target's slot map (CLUSTER SLOTS), for
// the steps that write to or compare with one.
package slot

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/rediscluster"
)

// Read reads CLUSTER SLOTS: the primary of each slot, "" where none.
// A node that does not know its own address (announced as "" or "?") is
// named by the host asked.
func Read(ctx context.Context, c *redis.Client) ([rediscluster.Count]string, error) {
	var owner [rediscluster.Count]string
	ctx, cancel := context.WithTimeout(ctx, probes.DefaultTimeout)
	defer cancel()
	rs, err := c.ClusterSlots(ctx).Result()
	if err != nil {
		return owner, fmt.Errorf("CLUSTER SLOTS on %s: %s", c.Options().Addr, probes.Explain(err))
	}
	askedHost, _, _ := net.SplitHostPort(c.Options().Addr)
	for _, r := range rs {
		if len(r.Nodes) == 0 {
			continue
		}
		addr := r.Nodes[0].Addr
		if host, port, err := net.SplitHostPort(addr); err == nil && (host == "" || host == "?") {
			addr = net.JoinHostPort(askedHost, port)
		}
		for s := max(r.Start, 0); s <= min(r.End, rediscluster.Count-1); s++ {
			owner[s] = addr
		}
	}
	return owner, nil
}

// Primaries lists the distinct owners, in slot order.
func Primaries(owner [rediscluster.Count]string) []string {
	var out []string
	for _, a := range owner {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// Ranges lists the slots whose owner matches, as "0-99,200".
func Ranges(owner []string, match func(string) bool) string {
	return strings.Join(rediscluster.Ranges(len(owner), func(s int) bool { return match(owner[s]) }), ",")
}
