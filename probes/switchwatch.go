package probes

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// watchSwitches subscribes to +switch-master on every sentinel, once, so
// a failover is noticed without asking the sentinels on every tick. It
// returns a channel closed when the first subscription is confirmed:
// asking for the primary after that cannot miss a switch.
func (p *Poller) watchSwitches() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopWatch != nil || p.closed {
		return p.subscribed
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.stopWatch = cancel
	ready := make(chan struct{})
	p.subscribed = ready
	var once sync.Once
	for _, a := range p.follow.Sentinel.Addrs {
		p.watchers.Add(1)
		go func() {
			defer p.watchers.Done()
			p.watch(ctx, a, func() { once.Do(func() { close(ready) }) })
		}()
	}
	return ready
}

// watch listens on one sentinel until ctx ends. go-redis resubscribes
// after a broken connection; a switch announced meanwhile was missed, so
// every confirmation after the first makes the next poll ask again.
func (p *Poller) watch(ctx context.Context, addr string, subscribed func()) {
	c := SentinelClient(*p.follow, addr, "poller-events", PoolSize(1), ConfigDir(p.dir))
	defer c.Close()
	ps := c.Subscribe(ctx, "+switch-master")
	defer ps.Close()
	// A Receive waiting for a message does not see ctx end; closing the
	// subscription ends it.
	defer context.AfterFunc(ctx, func() { ps.Close() })()
	prefix := p.follow.Sentinel.Master + " "
	first := true
	for {
		msg, err := ps.Receive(ctx)
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
				continue
			}
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if !first {
				p.switched.Store(true)
			}
			first = false
			subscribed()
		case *redis.Message:
			// "<master> <old ip> <old port> <new ip> <new port>"
			if strings.HasPrefix(m.Payload, prefix) {
				p.switched.Store(true)
			}
		}
	}
}
