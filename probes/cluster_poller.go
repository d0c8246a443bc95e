package probes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/rediscluster"
	"github.com/cutover/cutover/runbook"
)

// clusterMapEvery is how many polls the node map (CLUSTER NODES) is
// trusted for: the topology changes rarely, and a failover is caught
// sooner by a node answering INFO with another role.
const clusterMapEvery = 10

// ClusterPoller polls every node of a Redis Cluster target. Each Poll
// sends exactly one INFO to every node of the map, all at once, and one
// CLUSTER INFO to one node: the seed (target.url) while it answers, else
// the next node of the map. The map itself (CLUSTER NODES, asked of that
// same node) is read on the first poll, every clusterMapEvery polls, and
// on the poll after a node answered with a role the map does not give it.
// Like Poller, it is called with at most one Poll in flight.
type ClusterPoller struct {
	ep      runbook.Endpoint
	dir     string
	timeout time.Duration

	mu      sync.Mutex
	clients map[string]*redis.Client // by node address
	closed  bool
	ask     []string // who answers CLUSTER INFO/NODES, seed first; rotated on failure
	nodes   []ClusterNode
	polls   int
	stale   bool // re-read the map on the next poll
}

// ClusterSample is one poll of a whole cluster.
type ClusterSample struct {
	Time     time.Time
	Asked    string // the node that was asked CLUSTER INFO
	State    string // cluster_state: ok or fail; "" when unknown
	Slots    ClusterSlots
	StateErr error         // CLUSTER INFO failed this poll
	Nodes    []ClusterNode // by shard (lowest slot first), primary first
	Err      error         // no node map: nothing was polled
}

// ClusterSlots are CLUSTER INFO's slot counts.
type ClusterSlots struct{ Assigned, OK, PFail, Fail int }

// ClusterNode is one node of the map with its INFO of this poll.
type ClusterNode struct {
	ID      string
	Addr    string
	Primary bool   // a primary in the map (INFO may say otherwise after a failover)
	Shard   string // the address of its shard's primary; "" when unknown
	Flags   string // CLUSTER NODES flags as the asked node saw them (fail?, fail, ...)
	Link    string // connected or disconnected, as the asked node saw it
	Sample  Sample // Err set when the node did not answer
	Slot    int    // the lowest slot it serves; -1 for none (a replica)
	master  string // the primary's ID, for a replica
}

// Lag is how far a replica is behind its shard's primary: replication
// offset bytes (from both INFOs of this poll) and seconds since the
// replica last heard from the primary. ok is false for a primary or when
// either did not answer.
func (cs ClusterSample) Lag(n ClusterNode) (bytes, secs int64, ok bool) {
	if n.Primary || !n.Sample.OK() {
		return 0, 0, false
	}
	for _, p := range cs.Nodes {
		if p.Primary && p.Addr == n.Shard && p.Sample.OK() {
			in := n.Sample.Info
			return max(p.Sample.Info.MasterReplOffset-in.SlaveReplOffset, 0), in.MasterLastIOSecondsAgo, true
		}
	}
	return 0, 0, false
}

// Primaries are the primaries that serve slots, in shard order (a failed
// primary whose slots moved to its replica is not one).
func (cs ClusterSample) Primaries() []ClusterNode {
	var out []ClusterNode
	for _, n := range cs.Nodes {
		if n.Primary && n.Slot >= 0 {
			out = append(out, n)
		}
	}
	return out
}

// TargetClusterPoller polls the target cluster whose seed is target.url.
func TargetClusterPoller(cfg *runbook.Config) *ClusterPoller {
	return &ClusterPoller{ep: cfg.Target.Endpoint, dir: cfg.Dir, timeout: PollTimeout(cfg.PollInterval.Duration),
		clients: map[string]*redis.Client{}, ask: []string{hostPort(cfg.Target.URL)}}
}

// Timeout is how long one Poll may take.
func (p *ClusterPoller) Timeout() time.Duration { return p.timeout }

// Poll reads the cluster once; it never blocks longer than Timeout. A node
// that does not answer has its Sample.Err set; the others are polled alike.
func (p *ClusterPoller) Poll(ctx context.Context) ClusterSample {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	p.mu.Lock()
	closed, due := p.closed, p.nodes == nil || p.stale || p.polls%clusterMapEvery == 0
	p.mu.Unlock()
	if closed {
		return ClusterSample{Time: time.Now(), Err: errors.New("poller closed")}
	}
	if due {
		// Half the time at most, so the INFOs still have the rest.
		mctx, mcancel := context.WithTimeout(ctx, p.timeout/2)
		err := p.readMap(mctx)
		mcancel()
		p.mu.Lock()
		none := p.nodes == nil
		p.mu.Unlock()
		if none {
			return ClusterSample{Time: time.Now(), Err: fmt.Errorf("cannot read the cluster's nodes: %w", err)}
		}
	}
	p.mu.Lock()
	p.polls++
	cs := ClusterSample{Nodes: slices.Clone(p.nodes), Asked: p.ask[0]}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for i := range cs.Nodes {
		n := &cs.Nodes[i]
		wg.Go(func() {
			n.Sample = info(ctx, p.client(n.Addr), n.Addr)
			if !n.Sample.OK() {
				p.forget(n.Addr) // a fresh dial next time, not go-redis's back-off
			}
		})
	}
	wg.Go(func() { cs.State, cs.Slots, cs.StateErr = p.clusterInfo(ctx, cs.Asked) })
	wg.Wait()
	cs.Time = time.Now()
	for _, n := range cs.Nodes {
		if n.Sample.OK() && n.Sample.Info.IsPrimary() != n.Primary {
			p.mu.Lock()
			p.stale = true // a failover: the map is out of date
			p.mu.Unlock()
		}
	}
	return cs
}

// clusterInfo asks one node CLUSTER INFO; on failure the next poll asks
// the next node.
func (p *ClusterPoller) clusterInfo(ctx context.Context, addr string) (string, ClusterSlots, error) {
	text, err := p.client(addr).ClusterInfo(ctx).Result()
	if err != nil {
		p.rotate(addr)
		return "", ClusterSlots{}, err
	}
	f := ParseInfo(text).Raw
	n := func(k string) int { v, _ := strconv.Atoi(f[k]); return v }
	return f["cluster_state"], ClusterSlots{Assigned: n("cluster_slots_assigned"), OK: n("cluster_slots_ok"),
		PFail: n("cluster_slots_pfail"), Fail: n("cluster_slots_fail")}, nil
}

// readMap reads CLUSTER NODES from the node to ask; the map is kept as it
// was when that fails.
func (p *ClusterPoller) readMap(ctx context.Context) error {
	p.mu.Lock()
	addr := p.ask[0]
	p.mu.Unlock()
	text, err := p.client(addr).ClusterNodes(ctx).Result()
	if err != nil {
		p.rotate(addr)
		return err
	}
	nodes := parseClusterNodes(text, addr)
	if len(nodes) == 0 {
		return fmt.Errorf("%s lists no nodes", addr)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nodes, p.stale = nodes, false
	ask := []string{addr}
	for _, n := range nodes {
		if !slices.Contains(ask, n.Addr) {
			ask = append(ask, n.Addr)
		}
	}
	for a, c := range p.clients {
		if !slices.Contains(ask, a) { // a node that left the cluster
			c.Close()
			delete(p.clients, a)
		}
	}
	p.ask = ask
	return nil
}

// parseClusterNodes reads CLUSTER NODES: "<id> <ip:port@cport[,host]>
// <flags> <master> <ping> <pong> <epoch> <link> <slots>...". A node that
// has met no other lists itself without an IP: it is the one asked.
func parseClusterNodes(text, asked string) []ClusterNode {
	var nodes []ClusterNode
	for _, rn := range rediscluster.ParseNodes(text, asked) {
		if rn.Has("noaddr") || rn.Has("handshake") {
			continue
		}
		n := ClusterNode{ID: rn.ID, Addr: rn.Addr, Flags: strings.Join(rn.Flags, ","), Link: rn.Link, Primary: rn.Has("master"), Slot: -1}
		if n.Primary {
			n.Shard = rn.Addr
			for _, r := range rn.Slots {
				if n.Slot < 0 || r[0] < n.Slot {
					n.Slot = r[0]
				}
			}
		} else {
			n.master = rn.Master
		}
		nodes = append(nodes, n)
	}
	for i := range nodes {
		for _, m := range nodes {
			if nodes[i].master != "" && m.ID == nodes[i].master {
				nodes[i].Shard = m.Addr
			}
		}
	}
	// Shards by lowest slot (primaries serving none last), primary first,
	// then replicas by address.
	rank := map[string]int{}
	for _, n := range nodes {
		if n.Primary {
			rank[n.Addr] = n.Slot
			if n.Slot < 0 {
				rank[n.Addr] = clusterSlots
			}
		}
	}
	slices.SortFunc(nodes, func(a, b ClusterNode) int {
		ra, oka := rank[a.Shard]
		rb, okb := rank[b.Shard]
		if !oka {
			ra = clusterSlots + 1
		}
		if !okb {
			rb = clusterSlots + 1
		}
		if ra != rb {
			return ra - rb
		}
		if a.Shard != b.Shard {
			return strings.Compare(a.Shard, b.Shard)
		}
		if a.Primary != b.Primary {
			if a.Primary {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Addr, b.Addr)
	})
	return nodes
}

// client returns the node's client, dialing on first use.
func (p *ClusterPoller) client(addr string) *redis.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[addr]; ok {
		return c
	}
	c := Client(p.ep, "poller", Addr(addr), Timeout(p.timeout), ConfigDir(p.dir), PoolSize(1))
	if p.closed {
		c.Close() // its commands fail: the poller is closed
	} else {
		p.clients[addr] = c
	}
	return c
}

func (p *ClusterPoller) forget(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[addr]; ok {
		c.Close()
		delete(p.clients, addr)
	}
}

// rotate moves a node that failed to answer to the back of the ask list.
func (p *ClusterPoller) rotate(addr string) {
	p.forget(addr)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ask) > 1 && p.ask[0] == addr {
		p.ask = append(p.ask[1:], addr)
	}
}

// Close releases the connections; a Poll in flight fails.
func (p *ClusterPoller) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	var errs []error
	for a, c := range p.clients {
		errs = append(errs, c.Close())
		delete(p.clients, a)
	}
	return errors.Join(errs...)
}
