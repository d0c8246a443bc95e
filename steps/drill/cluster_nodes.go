package drill

import (
	"net"
	"slices"
	"strconv"
	"strings"
)

// clusterNode is one line of CLUSTER NODES.
type clusterNode struct {
	id, addr string
	flags    []string
	master   string // the id of its primary; "" for a primary
	link     string // the asked node's link to it: connected, disconnected
	slots    [][2]int
}

func (n clusterNode) has(flag string) bool { return slices.Contains(n.flags, flag) }

// primary is a node serving slots as a primary.
func (n clusterNode) primary() bool { return n.has("master") && len(n.slots) > 0 }

// down says why a node cannot be counted on, or "".
func (n clusterNode) down() string {
	for _, f := range []string{"fail", "fail?", "handshake", "noaddr"} {
		if n.has(f) {
			return "flagged " + strings.Join(n.flags, ",")
		}
	}
	if n.link != "connected" && !n.has("myself") {
		return "link " + n.link
	}
	return ""
}

func (n clusterNode) owns(slot int) bool {
	for _, r := range n.slots {
		if slot >= r[0] && slot <= r[1] {
			return true
		}
	}
	return false
}

// ownsAll reports whether n serves every slot of the ranges rs.
func (n clusterNode) ownsAll(rs [][2]int) bool {
	for _, r := range rs {
		for s := r[0]; s <= r[1]; s++ {
			if !n.owns(s) {
				return false
			}
		}
	}
	return len(rs) > 0
}

// parseNodes reads CLUSTER NODES as asked of the node at asked:
// <id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch>
// <link> <slot>... A node that has not met another yet reports itself
// without an IP.
func parseNodes(text, asked string) []clusterNode {
	var out []clusterNode
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		addr, _, _ = strings.Cut(addr, ",")
		if strings.HasPrefix(addr, ":") {
			if host, _, err := net.SplitHostPort(asked); err == nil {
				addr = net.JoinHostPort(host, addr[1:])
			}
		}
		n := clusterNode{id: f[0], addr: addr, flags: strings.Split(f[2], ","), link: f[7]}
		if f[3] != "-" {
			n.master = f[3]
		}
		for _, s := range f[8:] {
			if strings.HasPrefix(s, "[") {
				continue // a slot being migrated or imported
			}
			lo, hi, ok := strings.Cut(s, "-")
			if !ok {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 == nil && err2 == nil {
				n.slots = append(n.slots, [2]int{a, b})
			}
		}
		out = append(out, n)
	}
	return out
}

// rangesText shows slot ranges as CLUSTER NODES does: 0-5460,5461.
func rangesText(rs [][2]int) string {
	var parts []string
	for _, r := range rs {
		if r[0] == r[1] {
			parts = append(parts, strconv.Itoa(r[0]))
		} else {
			parts = append(parts, strconv.Itoa(r[0])+"-"+strconv.Itoa(r[1]))
		}
	}
	return strings.Join(parts, ",")
}
