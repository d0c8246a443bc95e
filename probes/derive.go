package probes

import "time"

// Sample is one poll of one endpoint.
type Sample struct {
	Time    time.Time
	Addr    string // the server that answered (a sentinel target's primary moves)
	Info    Info
	Err     error
	Latency time.Duration // the INFO round trip
}

// OK reports whether the poll got an answer.
func (s Sample) OK() bool { return s.Err == nil && !s.Time.IsZero() }

// Rates are per-second figures between two samples of the same server.
// Valid is false for the first sample, after an error, and when the
// counters went backwards (a restart or CONFIG RESETSTAT): Reset says which.
type Rates struct {
	Valid    bool
	Reset    bool
	Interval time.Duration

	OpsPerSec       float64 // total_commands_processed
	HitRate         float64 // over the interval; HitRateOK is false without lookups
	HitRateOK       bool
	CPUPercent      float64 // used_cpu_sys + used_cpu_user, of one core
	EvictionsPerSec float64
	ExpiredPerSec   float64
	NetInPerSec     float64 // bytes
	NetOutPerSec    float64
	NewConnsPerSec  float64

	// Since start: available from the current sample alone.
	HitRateTotal   float64
	HitRateTotalOK bool
}

// Derive computes the rates from prev to cur.
func Derive(prev, cur Sample) Rates {
	var r Rates
	if !cur.OK() {
		return r
	}
	r.HitRateTotal, r.HitRateTotalOK = cur.Info.HitRate()
	if !prev.OK() {
		return r
	}
	dt := cur.Time.Sub(prev.Time)
	if dt <= 0 {
		return r
	}
	p, c := prev.Info, cur.Info
	if p.RunID != c.RunID || c.Uptime < p.Uptime ||
		c.TotalCommandsProcessed < p.TotalCommandsProcessed || c.KeyspaceHits < p.KeyspaceHits ||
		c.KeyspaceMisses < p.KeyspaceMisses || c.TotalConnectionsReceived < p.TotalConnectionsReceived ||
		c.UsedCPUSys+c.UsedCPUUser < p.UsedCPUSys+p.UsedCPUUser {
		r.Reset = true
		return r
	}
	sec := dt.Seconds()
	per := func(a, b int64) float64 { return max(0, float64(b-a)) / sec }
	r.Valid, r.Interval = true, dt
	r.OpsPerSec = per(p.TotalCommandsProcessed, c.TotalCommandsProcessed)
	r.HitRate, r.HitRateOK = ratio(c.KeyspaceHits-p.KeyspaceHits, c.KeyspaceHits+c.KeyspaceMisses-p.KeyspaceHits-p.KeyspaceMisses)
	r.CPUPercent = (c.UsedCPUSys + c.UsedCPUUser - p.UsedCPUSys - p.UsedCPUUser) / sec * 100
	r.EvictionsPerSec = per(p.EvictedKeys, c.EvictedKeys)
	r.ExpiredPerSec = per(p.ExpiredKeys, c.ExpiredKeys)
	r.NetInPerSec = per(p.TotalNetInputBytes, c.TotalNetInputBytes)
	r.NetOutPerSec = per(p.TotalNetOutputBytes, c.TotalNetOutputBytes)
	r.NewConnsPerSec = per(p.TotalConnectionsReceived, c.TotalConnectionsReceived)
	return r
}
