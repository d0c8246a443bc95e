package drill

import (
	"context"
	"strings"
	"sync"
	"time"
)

// pump reads the target's events for the whole drill: it logs each new
// one as it arrives (the console shows the chain live), records the chain
// and signals the promotion or an abort. Progress is reported by the
// drill's own goroutine: report is not safe for concurrent use.
type pump struct {
	mu       sync.Mutex
	chain    *chain
	v        vocabulary
	switched chan event // the promotion, e.g. +switch-master
	aborted  chan event // no failover can happen, e.g. -failover-abort-no-good-slave
}

func startPump(ctx context.Context, src source, v vocabulary, t0 time.Time, logf func(string, ...any)) *pump {
	p := &pump{chain: newChain(t0), v: v, switched: make(chan event, 1), aborted: make(chan event, 1)}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-src.feed():
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
	logf("%s %s: %s %s (+%.2fs)", p.v.observer, e.From, e.Name, e.Payload, at)
	switch {
	case e.Name == p.v.promote:
		signal(p.switched, e)
	case p.v.abort != "" && strings.HasPrefix(e.Name, p.v.abort):
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
