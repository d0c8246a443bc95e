package drill

import (
	"slices"
	"strconv"
	"strings"

	"github.com/cutover/cutover/rediscluster"
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

// parseNodes reads CLUSTER NODES as asked of the node at asked.
func parseNodes(text, asked string) []clusterNode {
	var out []clusterNode
	for _, n := range rediscluster.ParseNodes(text, asked) {
		out = append(out, clusterNode{id: n.ID, addr: n.Addr, flags: n.Flags, master: n.Master, link: n.Link, slots: n.Slots})
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
