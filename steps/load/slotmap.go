package load

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/rediscluster"
	"github.com/cutover/cutover/steps/load/slot"
)

// slotMap is which primary serves each slot, as the load knows it.
// Readers copy it when gen moves.
type slotMap struct {
	client func(addr string) *redis.Client
	gen    atomic.Int64

	mu        sync.Mutex
	owner     [rediscluster.Count]string
	refreshed time.Time
}

func newSlotMap(owner [rediscluster.Count]string, client func(addr string) *redis.Client) *slotMap {
	return &slotMap{owner: owner, client: client}
}

func (m *slotMap) snapshot() ([rediscluster.Count]string, int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.owner, m.gen.Load()
}

// moved records a MOVED reply, then, at most once a second, reads the
// whole map again from the node it named: a slot rarely moves alone.
func (m *slotMap) moved(ctx context.Context, s int, addr string, logf func(string, ...any)) {
	m.mu.Lock()
	if m.owner[s] != addr {
		m.owner[s] = addr
		m.gen.Add(1)
	}
	refresh := time.Since(m.refreshed) > time.Second
	if refresh {
		m.refreshed = time.Now()
	}
	m.mu.Unlock()
	if !refresh {
		return
	}
	c := m.client(addr)
	defer c.Close()
	owner, err := slot.Read(ctx, c)
	if err != nil {
		logf("slot %d moved to %s; reading the slot map again failed (%v): following redirects key by key", s, addr, err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, a := range owner {
		if a != "" {
			m.owner[i] = a
		}
	}
	m.gen.Add(1)
	logf("slot %d moved to %s: slot map read again from it", s, addr)
}

// of lists the slots addr serves, as ranges ("0-5460,6000").
func (m *slotMap) of(addr string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slot.Ranges(m.owner[:], func(a string) bool { return a == addr })
}

// migrations reads CLUSTER NODES on a primary and lists the slots it is
// migrating away or importing: only the node itself shows those markers
// ("[93->-<id>]", "[93-<-<id>]").
func migrations(ctx context.Context, c *redis.Client) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, probes.DefaultTimeout)
	defer cancel()
	text, err := c.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("CLUSTER NODES on %s: %s", c.Options().Addr, probes.Explain(err))
	}
	self := c.Options().Addr
	addrs := map[string]string{}
	var mine []string
	for _, n := range rediscluster.ParseNodes(text, self) {
		addrs[n.ID] = n.Addr
		if n.Has("myself") {
			mine = n.Markers
		}
	}
	var out []string
	for _, s := range mine {
		body := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
		if slot, id, ok := strings.Cut(body, "->-"); ok {
			out = append(out, fmt.Sprintf("slot %s migrating from %s to %s", slot, self, nodeName(addrs, id)))
		} else if slot, id, ok := strings.Cut(body, "-<-"); ok {
			out = append(out, fmt.Sprintf("slot %s importing into %s from %s", slot, self, nodeName(addrs, id)))
		}
	}
	return out, nil
}

func nodeName(addrs map[string]string, id string) string {
	if a := addrs[id]; a != "" {
		return a
	}
	return "node " + id
}
