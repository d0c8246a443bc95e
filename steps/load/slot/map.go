package slot

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
)

// Read reads CLUSTER SLOTS: the primary of each slot, "" where none.
// A node that does not know its own address (announced as "" or "?") is
// named by the host asked.
func Read(ctx context.Context, c *redis.Client) ([Count]string, error) {
	var owner [Count]string
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
		for s := max(r.Start, 0); s <= min(r.End, Count-1); s++ {
			owner[s] = addr
		}
	}
	return owner, nil
}

// Primaries lists the distinct owners, in slot order.
func Primaries(owner [Count]string) []string {
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
	var out []string
	for s := 0; s < len(owner); s++ {
		if !match(owner[s]) {
			continue
		}
		e := s
		for e+1 < len(owner) && match(owner[e+1]) {
			e++
		}
		if e == s {
			out = append(out, strconv.Itoa(s))
		} else {
			out = append(out, fmt.Sprintf("%d-%d", s, e))
		}
		s = e
	}
	return strings.Join(out, ",")
}
