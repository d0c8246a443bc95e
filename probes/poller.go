package probes

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

// Poller polls one endpoint with exactly one INFO per Poll. For a sentinel
// target it follows the primary: it asks the sentinels only when it has
// no primary yet, when the primary fails to answer or answers as a
// replica, or when a sentinel announces +switch-master (it listens on
// every sentinel, so a failover is seen at once). The console calls Poll from a tea.Cmd and re-arms the next
// tick when the result arrives, so at most one INFO is in flight.
type Poller struct {
	Name string // "source" or "target"

	ep      runbook.Endpoint
	follow  *runbook.Target // set for a sentinel target
	dir     string
	timeout time.Duration

	mu         sync.Mutex
	addr       string // current server; "" until a sentinel names it
	client     *redis.Client
	closed     bool
	stopWatch  context.CancelFunc // ends the +switch-master subscriptions
	watchers   sync.WaitGroup     // their goroutines, waited for by Close
	subscribed <-chan struct{}    // closed once a subscription is confirmed
	switched   atomic.Bool        // a sentinel announced a new primary
}

// SourcePoller polls the source.
func SourcePoller(cfg *runbook.Config) *Poller {
	return newPoller("source", cfg.Source, nil, cfg)
}

// TargetPoller polls the target; a sentinel target's current primary.
func TargetPoller(cfg *runbook.Config) *Poller {
	var follow *runbook.Target
	if cfg.Target.Kind == "sentinel" {
		t := cfg.Target
		follow = &t
	}
	return newPoller("target", cfg.Target.Endpoint, follow, cfg)
}

func newPoller(name string, ep runbook.Endpoint, follow *runbook.Target, cfg *runbook.Config) *Poller {
	return &Poller{Name: name, ep: ep, follow: follow, dir: cfg.Dir, timeout: PollTimeout(cfg.PollInterval.Duration)}
}

// PollTimeout is how long one poll every interval may take: a tenth of the
// interval is left so a slow answer never overlaps the next tick, never
// less than 500 ms (a loaded server still answers) nor more than the
// default timeout. It is the one place poll_interval becomes a timeout:
// the pollers apply it, and the console's panes rely on Poll keeping it.
func PollTimeout(interval time.Duration) time.Duration {
	if interval <= 0 {
		return DefaultTimeout
	}
	return min(DefaultTimeout, max(interval*9/10, 500*time.Millisecond))
}

// Timeout is how long one Poll may take.
func (p *Poller) Timeout() time.Duration { return p.timeout }

// Poll sends one INFO (default sections) and returns what came back. It
// never blocks longer than Timeout.
func (p *Poller) Poll(ctx context.Context) Sample {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	if p.switched.Swap(false) {
		p.forgetAny()
	}
	c, addr, err := p.current(ctx)
	if err != nil {
		return Sample{Time: time.Now(), Err: err}
	}
	s := info(ctx, c, addr)
	if s.OK() && (p.follow == nil || s.Info.IsPrimary()) {
		return s
	}
	// Start the next poll on a fresh connection: go-redis's pool holds
	// back new dials for a second after failed ones.
	p.forget(addr)
	if p.follow == nil {
		return s
	}
	// The primary failed or was demoted: ask the sentinels, and poll the
	// new primary at once if they name another server.
	c2, addr2, err := p.current(ctx)
	if err != nil || addr2 == addr {
		return s
	}
	return info(ctx, c2, addr2)
}

func info(ctx context.Context, c *redis.Client, addr string) Sample {
	start := time.Now()
	text, err := c.Info(ctx).Result()
	s := Sample{Time: time.Now(), Addr: addr, Err: err, Latency: time.Since(start)}
	if err == nil {
		s.Info = ParseInfo(text)
	}
	return s
}

// current returns the client of the server to poll, asking the sentinels
// first when there is none.
func (p *Poller) current(ctx context.Context) (*redis.Client, string, error) {
	p.mu.Lock()
	c, addr, closed := p.client, p.addr, p.closed
	p.mu.Unlock()
	if closed {
		return nil, "", errors.New("poller closed")
	}
	if c != nil {
		return c, addr, nil
	}
	if p.follow != nil {
		// Subscribe before asking, so no switch falls in between; go on
		// without it when no sentinel confirms in half the poll time.
		wait, cancel := context.WithTimeout(ctx, p.timeout/2)
		select {
		case <-p.watchSwitches():
		case <-wait.Done():
		}
		cancel()
		a, err := TargetPrimary(ctx, &runbook.Config{Target: *p.follow, Dir: p.dir})
		if err != nil {
			return nil, "", fmt.Errorf("cannot find the primary: %w", err)
		}
		addr = a
	} else {
		addr = hostPort(p.ep.URL)
	}
	opts := []Option{Timeout(p.timeout), ConfigDir(p.dir), PoolSize(1)}
	if p.follow != nil {
		opts = append(opts, Addr(addr))
	}
	c = Client(p.ep, "poller", opts...)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return nil, "", errors.New("poller closed")
	}
	p.client, p.addr = c, addr
	return c, addr, nil
}

// forget drops the client of addr; the next poll dials again (after
// asking the sentinels, for a sentinel target).
func (p *Poller) forget(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != nil && p.addr == addr {
		p.client.Close()
		p.client, p.addr = nil, ""
	}
}

// forgetAny drops the current client, whichever server it is on.
func (p *Poller) forgetAny() {
	p.mu.Lock()
	addr := p.addr
	p.mu.Unlock()
	p.forget(addr)
}

// Close releases the connections and ends the Sentinel watchers, waiting
// for them; a Poll in flight fails.
func (p *Poller) Close() error {
	defer p.watchers.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.stopWatch != nil {
		p.stopWatch()
	}
	if p.client == nil {
		return nil
	}
	err := p.client.Close()
	p.client = nil
	return err
}
