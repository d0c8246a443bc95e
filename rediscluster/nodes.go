package rediscluster

import (
	"net"
	"slices"
	"strconv"
	"strings"
)

// Node is one line of CLUSTER NODES: "<id> <ip:port@cport[,hostname]>
// <flags> <master> <ping> <pong> <epoch> <link> <slot>...".
type Node struct {
	ID, Addr string
	Flags    []string
	Master   string   // the id of its primary; "" for a primary
	Link     string   // the asked node's link to it: connected, disconnected
	Slots    [][2]int // the ranges it serves
	Markers  []string // slots migrating or importing, as written: "[93->-<id>]"
}

// Has reports whether the node carries flag (master, myself, fail?, ...).
func (n Node) Has(flag string) bool { return slices.Contains(n.Flags, flag) }

// ParseNodes reads CLUSTER NODES as asked of the node at asked. A node
// that has met no other lists itself without an IP: it is the one asked.
func ParseNodes(text, asked string) []Node {
	var out []Node
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		n := Node{ID: f[0], Addr: NodeAddr(addr, asked), Flags: strings.Split(f[2], ","), Link: f[7]}
		if f[3] != "-" {
			n.Master = f[3]
		}
		for _, s := range f[8:] {
			if strings.HasPrefix(s, "[") {
				n.Markers = append(n.Markers, s)
				continue
			}
			lo, hi, ok := strings.Cut(s, "-")
			if !ok {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 == nil && err2 == nil {
				n.Slots = append(n.Slots, [2]int{a, b})
			}
		}
		out = append(out, n)
	}
	return out
}

// NodeAddr names a node announced without an IP (":6379") by the host
// that was asked.
func NodeAddr(addr, asked string) string {
	if strings.HasPrefix(addr, ":") {
		if host, _, err := net.SplitHostPort(asked); err == nil {
			return net.JoinHostPort(host, addr[1:])
		}
	}
	return addr
}
