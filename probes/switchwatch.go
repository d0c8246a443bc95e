package probes

import (
	"context"
	"strings"
)

// watchSwitches subscribes to +switch-master on every sentinel, once, so
// a failover is noticed without asking the sentinels on every tick.
func (p *Poller) watchSwitches() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopWatch != nil || p.closed {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.stopWatch = cancel
	for _, a := range p.follow.Sentinel.Addrs {
		go p.watch(ctx, a)
	}
}

// watch listens on one sentinel until ctx ends; go-redis resubscribes
// after a broken connection.
func (p *Poller) watch(ctx context.Context, addr string) {
	c := SentinelClient(*p.follow, addr, "poller-events", PoolSize(1), ConfigDir(p.dir))
	defer c.Close()
	ps := c.Subscribe(ctx, "+switch-master")
	defer ps.Close()
	prefix := p.follow.Sentinel.Master + " "
	ch := ps.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			// "<master> <old ip> <old port> <new ip> <new port>"
			if strings.HasPrefix(m.Payload, prefix) {
				p.switched.Store(true)
			}
		}
	}
}
