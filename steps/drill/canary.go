package drill

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// canaryTTL keeps canary keys from outliving a drill that could not clean
// them up.
const canaryTTL = time.Hour

// write is one canary write and whether the server acknowledged it.
type write struct {
	seq        int
	start, end time.Time
	acked      bool
}

// canary writes SET <prefix><n> <n> with increasing n, one at a time,
// through a client that follows the failover (Sentinel-aware or cluster),
// and records which writes were acknowledged.
type canary struct {
	client   redis.Cmdable
	prefix   string
	interval time.Duration
	timeout  time.Duration

	mu     sync.Mutex
	writes []write
	last   error
	stop   context.CancelFunc
	done   chan struct{}
}

func startCanary(client redis.Cmdable, prefix string, interval, timeout time.Duration) *canary {
	ctx, stop := context.WithCancel(context.Background())
	c := &canary{client: client, prefix: prefix, interval: interval, timeout: timeout, stop: stop, done: make(chan struct{})}
	go c.loop(ctx)
	return c
}

func (c *canary) loop(ctx context.Context) {
	defer close(c.done)
	tick := time.NewTicker(c.interval)
	defer tick.Stop()
	for seq := 1; ; seq++ {
		w := write{seq: seq, start: time.Now()}
		wctx, cancel := context.WithTimeout(ctx, c.timeout)
		err := c.client.Set(wctx, c.key(seq), seq, canaryTTL).Err()
		cancel()
		w.end, w.acked = time.Now(), err == nil
		if ctx.Err() != nil && !w.acked {
			return // the stop interrupted this write: it proves nothing
		}
		c.mu.Lock()
		c.writes = append(c.writes, w)
		if err != nil {
			c.last = err
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (c *canary) key(seq int) string { return c.prefix + strconv.Itoa(seq) }

// halt stops writing and returns every write made.
func (c *canary) halt() []write {
	c.stop()
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]write(nil), c.writes...)
}

// acked counts acknowledged writes so far, and the last error.
func (c *canary) acked() (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, w := range c.writes {
		if w.acked {
			n++
		}
	}
	return n, c.last
}

// ackedSince reports whether a write that started after t was acknowledged.
func (c *canary) ackedSince(t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.writes) - 1; i >= 0 && c.writes[i].start.After(t); i-- {
		if c.writes[i].acked {
			return true
		}
	}
	return false
}

// outage is what the client saw of the fault.
type outage struct {
	failed     int           // writes not acknowledged after t0
	window     time.Duration // last ack before the first failure to the first ack after it
	firstWrite time.Duration // t0 to the first ack after the failures; -1 when writes never resumed
}

// measure finds the outage in the writes after t0: the first failed write,
// the last ack before it and the first ack after it.
func measure(ws []write, t0 time.Time) outage {
	o := outage{firstWrite: -1}
	first := -1
	for i, w := range ws {
		if !w.acked && w.end.After(t0) {
			if first < 0 {
				first = i
			}
			o.failed++
		}
	}
	if first < 0 {
		o.firstWrite = 0
		return o
	}
	lastOK := t0
	for i := first - 1; i >= 0; i-- {
		if ws[i].acked {
			lastOK = ws[i].end
			break
		}
	}
	for _, w := range ws[first+1:] {
		if w.acked {
			o.window = w.end.Sub(lastOK)
			o.firstWrite = w.end.Sub(t0)
			break
		}
	}
	return o
}
