package dnsswap

import "time"

// Timing bounds the waits of the DNS steps; zero fields take the defaults.
type Timing struct {
	Insync time.Duration // how long a Route53 change may stay PENDING (default 5m)
	Poll   time.Duration // GetChange interval (default 1s)
	Proof  time.Duration // how long resolution may lag behind INSYNC (default 60s)
}

func (t Timing) insync() time.Duration { return orDefault(t.Insync, 5*time.Minute) }
func (t Timing) poll() time.Duration   { return orDefault(t.Poll, time.Second) }
func (t Timing) proof() time.Duration  { return orDefault(t.Proof, time.Minute) }

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
