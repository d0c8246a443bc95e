package load

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
)

// slotMap is which primary serves each slot, as the load knows it.
// Readers copy it when gen moves.
type slotMap struct {
	client func(addr string) *redis.Client
	gen    atomic.Int64

	mu        sync.Mutex
	owner     [slots]string
	refreshed time.Time
}

func newSlotMap(owner [slots]string, client func(addr string) *redis.Client) *slotMap {
	return &slotMap{owner: owner, client: client}
}

func (m *slotMap) snapshot() ([slots]string, int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.owner, m.gen.Load()
}

// moved records a MOVED reply, then, at most once a second, reads the
// whole map again from the node it named: a slot rarely moves alone.
func (m *slotMap) moved(ctx context.Context, slot int, addr string, logf func(string, ...any)) {
	m.mu.Lock()
	if m.owner[slot] != addr {
		m.owner[slot] = addr
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
	owner, err := readSlots(ctx, c)
	if err != nil {
		logf("slot %d moved to %s; reading the slot map again failed (%v): following redirects key by key", slot, addr, err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for s, a := range owner {
		if a != "" {
			m.owner[s] = a
		}
	}
	m.gen.Add(1)
	logf("slot %d moved to %s: slot map read again from it", slot, addr)
}

// of lists the slots addr serves, as ranges ("0-5460,6000").
func (m *slotMap) of(addr string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return ranges(m.owner[:], func(a string) bool { return a == addr })
}

// ranges lists the slots whose owner matches, as "0-99,200".
func ranges(owner []string, match func(string) bool) string {
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

// readSlots reads CLUSTER SLOTS: the primary of each slot, "" where none.
// A node that does not know its own address (announced as "" or "?") is
// named by the host asked.
func readSlots(ctx context.Context, c *redis.Client) ([slots]string, error) {
	var owner [slots]string
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
		for s := max(r.Start, 0); s <= min(r.End, slots-1); s++ {
			owner[s] = addr
		}
	}
	return owner, nil
}

// primaries lists the distinct owners, in slot order.
func primaries(owner [slots]string) []string {
	var out []string
	for _, a := range owner {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
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
	addrs := map[string]string{}
	var mine []string
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		addrs[f[0]] = addr
		if strings.Contains(f[2], "myself") {
			mine = f[8:]
		}
	}
	self := c.Options().Addr
	var out []string
	for _, s := range mine {
		body, ok := strings.CutPrefix(s, "[")
		if !ok {
			continue
		}
		body = strings.TrimSuffix(body, "]")
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
