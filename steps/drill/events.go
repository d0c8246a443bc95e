package drill

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// event is one step of the failover as a sentinel or a node reported
// it: a Sentinel notification about the drilled master, or a change seen
// in a node's CLUSTER NODES.
type event struct {
	At      time.Time
	From    string // the sentinel or node that reported it
	Name    string // e.g. "+sdown"
	Payload string // e.g. "master mymaster 127.0.0.1 6379"
}

// aboutMaster reports whether a payload concerns the master: it names it
// after "master", first (+switch-master), or after "@" (replica events).
func aboutMaster(payload, master string) bool {
	return slices.Contains(strings.Fields(payload), master)
}

// isMaster is an event about the master itself, not about a replica or
// sentinel that names it after "@".
func (e event) isMaster() bool { return strings.HasPrefix(e.Payload, "master ") }

// watcher follows every reachable sentinel's events for one master.
type watcher struct {
	events chan event
	subs   []*redis.PubSub
	conns  []*redis.SentinelClient
	wg     sync.WaitGroup
}

// watch subscribes to all events on each sentinel and returns once the
// subscriptions are confirmed, so no event of the drill is missed. It
// fails only when no sentinel can be subscribed to.
func watch(ctx context.Context, t runbook.Target, logf func(string, ...any)) (*watcher, error) {
	w := &watcher{events: make(chan event, 256)}
	var errs []string
	for _, addr := range t.Sentinel.Addrs {
		c := probes.SentinelClient(t, addr, "drill-events", probes.PoolSize(1))
		ps := c.PSubscribe(ctx, "*")
		sctx, cancel := context.WithTimeout(ctx, queryTimeout)
		_, err := ps.Receive(sctx)
		cancel()
		if err != nil {
			ps.Close()
			c.Close()
			errs = append(errs, addr+": "+probes.Explain(err))
			continue
		}
		w.subs, w.conns = append(w.subs, ps), append(w.conns, c)
		w.wg.Add(1)
		go w.read(ctx, addr, t.Sentinel.Master, ps)
	}
	if len(w.subs) == 0 {
		return nil, fmt.Errorf("cannot follow the sentinels' events: %s", strings.Join(errs, "; "))
	}
	if len(errs) > 0 {
		logf("drill: following %d of %d sentinels (%s)", len(w.subs), len(t.Sentinel.Addrs), strings.Join(errs, "; "))
	}
	return w, nil
}

func (w *watcher) read(ctx context.Context, addr, master string, ps *redis.PubSub) {
	defer w.wg.Done()
	for {
		msg, err := ps.ReceiveMessage(ctx)
		if err != nil {
			return // closed or cancelled
		}
		if strings.HasPrefix(msg.Channel, "__") || !aboutMaster(msg.Payload, master) {
			continue
		}
		select {
		case w.events <- event{At: time.Now(), From: addr, Name: msg.Channel, Payload: msg.Payload}:
		default: // nobody is reading: the drill is over
		}
	}
}

func (w *watcher) feed() <-chan event { return w.events }

// close ends the subscriptions and waits for the readers.
func (w *watcher) close() {
	for _, ps := range w.subs {
		ps.Close()
	}
	w.wg.Wait()
	for _, c := range w.conns {
		c.Close()
	}
}

// chain records the events as they arrive: the first time each was seen,
// and the order, for the figures.
type chain struct {
	t0    time.Time
	first map[string]event
	order []string
	seen  map[string]bool // name + payload, to log each once
}

func newChain(t0 time.Time) *chain {
	return &chain{t0: t0, first: map[string]event{}, seen: map[string]bool{}}
}

// add records e and reports whether it is new (worth logging: the three
// sentinels repeat most events).
func (c *chain) add(e event) bool {
	key := e.Name
	if (e.Name == "+sdown" || e.Name == "-sdown") && !e.isMaster() {
		key += " replica" // a replica going down is not the master's detection
	}
	if _, ok := c.first[key]; !ok {
		c.first[key] = e
		c.order = append(c.order, key)
	}
	if c.seen[e.Name+" "+e.Payload] {
		return false
	}
	c.seen[e.Name+" "+e.Payload] = true
	return true
}

// since is how long after t0 the first such event came, or -1.
func (c *chain) since(name string) time.Duration {
	e, ok := c.first[name]
	if !ok {
		return -1
	}
	return e.At.Sub(c.t0)
}

func (c chain) String() string { return strings.Join(c.order, " → ") }
