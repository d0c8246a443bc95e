package probes

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/rediscluster"
	"github.com/cutover/cutover/runbook"
)

var clusterCheck = check{
	summary: "Read the cluster's state and slot map: cluster_state ok, every one of the 16384 slots served, every primary with a replica in another zone (target.zones, else another host), and every node agreeing on the slot map.",
	calls: func(cfg *runbook.Config) []string {
		return []string{"CLUSTER INFO and CLUSTER SLOTS on " + cfg.Target.URL, "CLUSTER NODES on " + cfg.Target.URL + ", then CLUSTER SLOTS on every node it lists"}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		seed := hostPort(cfg.Target.URL)
		c := targetClient(cfg, "check")
		defer c.Close()
		if info, err := c.ClusterInfo(ctx).Result(); err != nil {
			p.fail("cluster_state", err, "ok")
		} else {
			state := ParseInfo(info).Raw["cluster_state"]
			p.row("cluster_state", state, "ok (CLUSTER INFO)", state == "ok")
		}
		slots, err := c.ClusterSlots(ctx).Result()
		if err != nil {
			p.fail("CLUSTER SLOTS", err, "the slot map")
			return p.done("")
		}
		served, shards := slotCoverage(slots, seed)
		covered := fmt.Sprintf("%d of %d", served.count(), clusterSlots)
		if m := served.missing(); m != "" {
			covered += ": " + m + " not served"
		}
		p.row("slots covered", covered, "all 16384", served.missing() == "")
		p.row("shards", strconv.Itoa(len(shards)), "at least 1", len(shards) > 0)
		p.zones(cfg, shards)
		p.agreement(ctx, cfg, c, seed, slots)
		return p.done(fmt.Sprintf("all slots served by %d shards, each with a replica in another zone; every node agrees on the slot map", len(shards)))
	},
}

// shard is one primary and its replicas, as CLUSTER SLOTS lists them.
type shard struct {
	primary  string
	replicas []string
}

// slotCoverage marks the slots served and lists the shards by primary. A
// node that has not met another yet reports itself without an IP: it is
// the one asked.
func slotCoverage(slots []redis.ClusterSlot, asked string) (slotSet, []shard) {
	seen := newSlotSet()
	var shards []shard
	for _, s := range slots {
		seen.add(s.Start, s.End)
		if len(s.Nodes) == 0 {
			continue
		}
		primary := rediscluster.NodeAddr(s.Nodes[0].Addr, asked)
		if slices.ContainsFunc(shards, func(sh shard) bool { return sh.primary == primary }) {
			continue
		}
		sh := shard{primary: primary}
		for _, n := range s.Nodes[1:] {
			sh.replicas = append(sh.replicas, rediscluster.NodeAddr(n.Addr, asked))
		}
		shards = append(shards, sh)
	}
	return seen, shards
}

// zoneOf is a node's zone from target.zones (by host:port, then host);
// without one the node's host stands for its zone, as in the lab, where
// every node has a loopback host of its own.
func zoneOf(cfg *runbook.Config, addr string) (string, bool) {
	if z, ok := cfg.Target.Zones[addr]; ok {
		return z, true
	}
	host, _, _ := net.SplitHostPort(addr)
	if z, ok := cfg.Target.Zones[host]; ok {
		return z, true
	}
	return "host " + host, false
}

// zones is the row of primaries without a replica in another zone.
func (p *proof) zones(cfg *runbook.Config, shards []shard) {
	var bad []string
	known := true
	for _, sh := range shards {
		pz, ok := zoneOf(cfg, sh.primary)
		known = known && ok
		other := false
		for _, r := range sh.replicas {
			rz, ok := zoneOf(cfg, r)
			known = known && ok
			other = other || rz != pz
		}
		switch {
		case len(sh.replicas) == 0:
			bad = append(bad, sh.primary+" has no replica")
		case !other:
			bad = append(bad, fmt.Sprintf("%s (%s): replicas only in its zone", sh.primary, pz))
		}
	}
	want := "none"
	if !known {
		want = "none (a node without target.zones: its host stands for its zone)"
	}
	v := "none"
	if len(bad) > 0 {
		v = strings.Join(bad, "; ")
	}
	p.row("primaries without a replica in another zone", v, want, len(bad) == 0)
}

// agreement asks every node CLUSTER SLOTS and compares its map, the ranges
// and each one's primary, with the seed's.
func (p *proof) agreement(ctx context.Context, cfg *runbook.Config, seed *redis.Client, seedAddr string, slots []redis.ClusterSlot) {
	text, err := seed.ClusterNodes(ctx).Result()
	if err != nil {
		p.fail("CLUSTER NODES", err, "the nodes")
		return
	}
	want := slotMap(slots, seedAddr)
	var differ []string
	nodes := clusterNodeAddrs(text, seedAddr)
	for _, addr := range nodes {
		if addr == seedAddr {
			continue
		}
		nc := targetClient(cfg, "check", Addr(addr))
		got, err := nc.ClusterSlots(ctx).Result()
		nc.Close()
		switch {
		case err != nil:
			differ = append(differ, addr+": "+Explain(err))
		case slotMap(got, addr) != want:
			differ = append(differ, fmt.Sprintf("%s sees %s", addr, slotMap(got, addr)))
		}
	}
	v := fmt.Sprintf("%d nodes agree", len(nodes))
	if len(differ) > 0 {
		v = strings.Join(differ, "; ") + "; " + seedAddr + " sees " + want
	}
	p.row("slot map", v, "every node sees the same ranges and primaries", len(differ) == 0)
}

// slotMap is a slot map as text, "0-5460 a:1, 5461-10922 b:2", in slot
// order; replicas are left out (their listing waits on replication).
func slotMap(slots []redis.ClusterSlot, asked string) string {
	s := slices.Clone(slots)
	slices.SortFunc(s, func(a, b redis.ClusterSlot) int { return a.Start - b.Start })
	var out []string
	for _, r := range s {
		primary := "none"
		if len(r.Nodes) > 0 {
			primary = rediscluster.NodeAddr(r.Nodes[0].Addr, asked)
		}
		out = append(out, fmt.Sprintf("%d-%d %s", r.Start, r.End, primary))
	}
	if len(out) == 0 {
		return "no slots"
	}
	return strings.Join(out, ", ")
}

// clusterNodeAddrs are the host:port of the nodes in CLUSTER NODES text
// ("id ip:port@cport[,hostname] flags ..."), but those in handshake or
// without an address.
func clusterNodeAddrs(text, asked string) []string {
	var out []string
	for _, n := range rediscluster.ParseNodes(text, asked) {
		if !n.Has("handshake") && !n.Has("noaddr") {
			out = append(out, n.Addr)
		}
	}
	slices.Sort(out)
	return out
}
