package drill

import "time"

// Timing paces the canary and bounds each wait of the drill; zero fields
// take the defaults.
type Timing struct {
	Interval     time.Duration // between canary writes (default 15ms: about 65 writes/s)
	WriteTimeout time.Duration // one canary write (default 1s)
	Margin       time.Duration // added to the sentinels' down-after + failover-timeout for the promotion wait (default 15s)
	Resume       time.Duration // for the canary's first write after the promotion (default 20s)
	Rejoin       time.Duration // for the old primary to come back as a replica (default 60s)
}

func (t Timing) interval() time.Duration     { return orDefault(t.Interval, 15*time.Millisecond) }
func (t Timing) writeTimeout() time.Duration { return orDefault(t.WriteTimeout, time.Second) }
func (t Timing) margin() time.Duration       { return orDefault(t.Margin, 15*time.Second) }
func (t Timing) resume() time.Duration       { return orDefault(t.Resume, 20*time.Second) }
func (t Timing) rejoin() time.Duration       { return orDefault(t.Rejoin, time.Minute) }

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
