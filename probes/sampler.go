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

// Latency is a set of measured round trips, and how late the sampler itself
// woke for each PING: its own scheduling delay on this machine, which
// inflates the round trips by as much and is no fault of the server.
type Latency struct {
	samples []time.Duration
	delays  []time.Duration
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
	l.delays = append(l.delays, o.delays...)
	l.Errors += o.Errors
	if o.LastErr != nil {
		l.LastErr = o.LastErr
	}
}

// Quantile is the q-quantile (0..1) of the round trips by nearest rank; 0
// without samples.
func (l *Latency) Quantile(q float64) time.Duration { return quantile(l.samples, q) }

// Delay is the q-quantile of the sampler's own wake-up delays.
func (l *Latency) Delay(q float64) time.Duration { return quantile(l.delays, q) }

func quantile(samples []time.Duration, q float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
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
// interval delays the next one rather than piling up. Between PINGs it
// sleeps until the next one is due and records how late it woke.
func (s Sampler) Sample(ctx context.Context, d time.Duration) Latency {
	var l Latency
	interval := time.Second / SampleRate
	next := time.Now()
	end := next.Add(d)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		start := time.Now()
		err := s.Client.Ping(ctx).Err()
		if err != nil {
			l.Errors++
			l.LastErr = err
		} else {
			l.Add(time.Since(start))
		}
		next = next.Add(interval)
		now := time.Now()
		switch {
		case !now.Before(end) || ctx.Err() != nil:
			return l
		case !next.After(now): // the PING overran its slot: go on at once
			next = now
			continue
		}
		wake, last := next, !next.Before(end)
		if last { // no PING is due before the end: sleep out the rest
			wake = end
		}
		timer.Reset(wake.Sub(now))
		select {
		case <-ctx.Done():
			return l
		case <-timer.C:
		}
		if last {
			return l
		}
		l.delays = append(l.delays, max(0, time.Since(next)))
	}
}

// ms renders a duration in milliseconds with microsecond precision.
func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }

// msFact is a duration as a fact: milliseconds, no unit.
func msFact(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }
