package drill

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
)

// pollEvery paces CLUSTER NODES on each observer: the cluster gossips
// every 100 ms or so, so polling faster would see nothing sooner.
const pollEvery = 100 * time.Millisecond

// pollTimeout bounds one CLUSTER NODES; a node slower than that is
// skipped for the round.
const pollTimeout = 500 * time.Millisecond

// nodeWatcher polls CLUSTER NODES on the surviving nodes and turns what
// changes about the drilled shard into events: the primary flagged fail?
// (PFAIL) and fail, one of its replicas flagged master, that replica
// owning the shard's slots, the old primary a replica.
type nodeWatcher struct {
	ct     clusterTopology
	events chan event
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

// watchNodes starts a poller on each observer once it has answered a
// first CLUSTER NODES, so the events start from the state before the
// fault. It fails only when no observer answers.
func watchNodes(ctx context.Context, ct clusterTopology, logf func(string, ...any)) (*nodeWatcher, error) {
	ctx, stop := context.WithCancel(ctx)
	w := &nodeWatcher{ct: ct, events: make(chan event, 256), stop: stop}
	var errs []string
	for _, addr := range ct.observers() {
		c := probes.Client(ct.t.Endpoint, "drill-events", probes.Addr(addr), probes.PoolSize(1), probes.Timeout(pollTimeout))
		qctx, cancel := context.WithTimeout(ctx, pollTimeout)
		err := c.ClusterNodes(qctx).Err()
		cancel()
		if err != nil {
			c.Close()
			errs = append(errs, addr+": "+probes.Explain(err))
			continue
		}
		w.wg.Add(1)
		go w.poll(ctx, addr, c)
	}
	if len(errs) == len(ct.observers()) {
		stop()
		return nil, fmt.Errorf("cannot follow the cluster's view of %s: no other node answered CLUSTER NODES (%s)", ct.shard.addr, strings.Join(errs, "; "))
	}
	if len(errs) > 0 {
		logf("drill: following %d of %d nodes (%s)", len(ct.observers())-len(errs), len(ct.observers()), strings.Join(errs, "; "))
	}
	return w, nil
}

func (w *nodeWatcher) poll(ctx context.Context, addr string, c *redis.Client) {
	defer w.wg.Done()
	defer c.Close()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		qctx, cancel := context.WithTimeout(ctx, pollTimeout)
		text, err := c.ClusterNodes(qctx).Result()
		cancel()
		if err == nil {
			at := time.Now()
			for _, e := range w.look(parseNodes(text, addr)) {
				e.At, e.From = at, addr
				select {
				case w.events <- e:
				default: // nobody is reading: the drill is over
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// look reads one node's view of the drilled shard. The pump's chain keeps
// the first of each and logs each payload once.
func (w *nodeWatcher) look(nodes []clusterNode) []event {
	old := w.ct.shard
	var out []event
	for _, n := range nodes {
		switch {
		case n.id == old.id:
			switch {
			case n.has("fail?"):
				out = append(out, event{Name: "pfail", Payload: "primary " + old.addr + " flagged fail? (PFAIL)"})
			case n.has("fail"):
				out = append(out, event{Name: "fail", Payload: "primary " + old.addr + " flagged fail"})
			case n.has("slave"):
				out = append(out, event{Name: "demoted", Payload: old.addr + " is a replica"})
			}
		case n.has("master") && w.wasReplica(n.id):
			out = append(out, event{Name: "promoted", Payload: n.addr + " flagged master"})
			if n.ownsAll(old.slots) {
				out = append(out, event{Name: "slots-moved", Payload: n.addr + " serves slots " + rangesText(n.slots)})
			}
		}
	}
	return out
}

// wasReplica reports whether the node was a replica of the drilled
// primary before the drill.
func (w *nodeWatcher) wasReplica(id string) bool {
	for _, n := range w.ct.nodes {
		if n.id == id && n.master == w.ct.shard.id {
			return true
		}
	}
	return false
}

func (w *nodeWatcher) feed() <-chan event { return w.events }

// close stops the pollers and waits for them.
func (w *nodeWatcher) close() {
	w.stop()
	w.wg.Wait()
}
