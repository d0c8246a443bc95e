package probes

import (
	"errors"
	"fmt"
	"time"
)

// ClusterTotal is a cluster's primaries as one server, for the mapping
// table: their INFO summed as the watch sums it (keys, memory, commands,
// hits and misses, clients, network, evictions), its rates derived from
// prev (the last total), with the CPU of the busiest primary and the new
// connections of all (the sum keeps the first node's for both). nodes are
// each node's rates by address. Replicas are left out (CloudWatch's node
// metrics are per node; the totals are the data, held once by the
// primaries), and so is a replica lag: it is per shard. While a primary
// does not answer the total is an error, not a sum that reads as a drop.
func ClusterTotal(prev Sample, cs ClusterSample, nodes map[string]Rates) Point {
	prim := cs.Primaries()
	switch {
	case cs.Err != nil:
		return Point{Sample: Sample{Time: cs.Time, Err: cs.Err}}
	case len(prim) == 0:
		return Point{Sample: Sample{Time: cs.Time, Err: errors.New("no primary serves a slot")}}
	}
	var infos []Info
	var latency time.Duration
	for _, n := range prim {
		if !n.Sample.OK() {
			return Point{Sample: Sample{Time: cs.Time, Err: fmt.Errorf("primary %s: %w", n.Addr, n.Sample.Err)}}
		}
		infos = append(infos, n.Sample.Info)
		latency = max(latency, n.Sample.Latency)
	}
	in := sumInfo(infos...)
	in.Slaves, in.ConnectedSlaves = nil, 0
	s := Sample{Time: cs.Time, Addr: prim[0].Addr, Info: in, Latency: latency}
	r := Derive(prev, s)
	if r.Valid {
		r.CPUPercent, r.NewConnsPerSec = 0, 0
		for _, n := range prim {
			r.CPUPercent = max(r.CPUPercent, nodes[n.Addr].CPUPercent)
			r.NewConnsPerSec += nodes[n.Addr].NewConnsPerSec
		}
	}
	return Point{Sample: s, Rates: r}
}
