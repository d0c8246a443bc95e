package drill

import (
	"context"
	"strings"
	"sync"
	"time"
)

// pump reads the sentinels' events for the whole drill: it logs each new
// one as it arrives (the console shows the chain live), records the chain
// and signals the promotion or an abort. Progress is reported by the
// drill's own goroutine: report is not safe for concurrent use.
type pump struct {
	mu       sync.Mutex
	chain    *chain
	switched chan event // +switch-master
	aborted  chan event // -failover-abort-no-good-slave
}

func startPump(ctx context.Context, w *watcher, t0 time.Time, logf func(string, ...any)) *pump {
	p := &pump{chain: newChain(t0), switched: make(chan event, 1), aborted: make(chan event, 1)}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-w.events:
				p.take(e, t0, logf)
			}
		}
	}()
	return p
}

func (p *pump) take(e event, t0 time.Time, logf func(string, ...any)) {
	p.mu.Lock()
	fresh := p.chain.add(e)
	p.mu.Unlock()
	if !fresh {
		return
	}
	at := e.At.Sub(t0).Seconds()
	logf("sentinel %s: %s %s (+%.2fs)", e.Sentinel, e.Name, e.Payload, at)
	switch {
	case e.Name == "+switch-master":
		signal(p.switched, e)
	case strings.HasPrefix(e.Name, "-failover-abort-no-good"):
		signal(p.aborted, e)
	}
}

func signal(ch chan event, e event) {
	select {
	case ch <- e:
	default:
	}
}

// snapshot returns a copy of the chain so far.
func (p *pump) snapshot() chain {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := *p.chain
	c.first = make(map[string]event, len(p.chain.first))
	for k, v := range p.chain.first {
		c.first[k] = v
	}
	c.order = append([]string(nil), p.chain.order...)
	return c
}
