package probes

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// SampleRate is how many PINGs per second the sampler sends.
const SampleRate = 50

// Latency is a set of measured round trips.
type Latency struct {
	samples []time.Duration
	Errors  int
	LastErr error
}

// N is the number of successful round trips.
func (l *Latency) N() int { return len(l.samples) }

// Add records a round trip.
func (l *Latency) Add(d time.Duration) { l.samples = append(l.samples, d) }

// Merge adds another set.
func (l *Latency) Merge(o Latency) {
	l.samples = append(l.samples, o.samples...)
	l.Errors += o.Errors
	if o.LastErr != nil {
		l.LastErr = o.LastErr
	}
}

// Quantile is the q-quantile (0..1) by nearest rank; 0 without samples.
func (l *Latency) Quantile(q float64) time.Duration {
	if len(l.samples) == 0 {
		return 0
	}
	s := slices.Clone(l.samples)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// Sampler measures PING round trips on its own connection, SampleRate a
// second, so the figure is the server's and the network's, not a pool's.
type Sampler struct {
	Client *redis.Client // dedicated: give it PoolSize(1)
}

// Sample pings for d and returns the round trips. A PING slower than the
// interval delays the next one rather than piling up.
func (s Sampler) Sample(ctx context.Context, d time.Duration) Latency {
	var l Latency
	tick := time.NewTicker(time.Second / SampleRate)
	defer tick.Stop()
	end := time.After(d)
	for {
		start := time.Now()
		err := s.Client.Ping(ctx).Err()
		if err != nil {
			l.Errors++
			l.LastErr = err
		} else {
			l.Add(time.Since(start))
		}
		select {
		case <-ctx.Done():
			return l
		case <-end:
			return l
		case <-tick.C:
		}
	}
}

// ms renders a duration in milliseconds with microsecond precision.
func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }

// msFact is a duration as a fact: milliseconds, no unit.
func msFact(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }
