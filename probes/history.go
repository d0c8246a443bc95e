package probes

import "math"

// History keeps the last N samples of one endpoint with their rates, for
// the panes and their sparklines. It is not safe for concurrent use: the
// console owns it.
type History struct {
	points []Point
	next   int // where the next point goes once full
	full   bool
	last   Sample // the last answered sample, to derive the next rates
	err    error  // the error of the latest poll, nil when it answered
}

// Point is one answered sample and its rates.
type Point struct {
	Sample Sample
	Rates  Rates
}

// NewHistory keeps up to n points (at least 1).
func NewHistory(n int) *History { return &History{points: make([]Point, 0, max(n, 1))} }

// Add records a poll and returns its rates. A failed poll is remembered as
// the current error and adds no point; the next answer derives its rates
// from the last one that answered.
func (h *History) Add(s Sample) Rates {
	if !s.OK() {
		h.err = s.Err
		return Rates{}
	}
	h.err = nil
	prev := h.last
	if prev.Addr != s.Addr {
		prev = Sample{} // another server (the primary moved): counters are not comparable
	}
	p := Point{Sample: s, Rates: Derive(prev, s)}
	h.last = s
	if len(h.points) < cap(h.points) {
		h.points = append(h.points, p)
		return p.Rates
	}
	h.points[h.next] = p
	h.next = (h.next + 1) % len(h.points)
	h.full = true
	return p.Rates
}

// Err is the error of the latest poll, or nil when it answered.
func (h *History) Err() error { return h.err }

// Len is the number of points kept.
func (h *History) Len() int { return len(h.points) }

// Last returns the newest point.
func (h *History) Last() (Point, bool) {
	if len(h.points) == 0 {
		return Point{}, false
	}
	i := len(h.points) - 1
	if h.full {
		i = (h.next + len(h.points) - 1) % len(h.points)
	}
	return h.points[i], true
}

// Points returns the points oldest first.
func (h *History) Points() []Point {
	out := make([]Point, 0, len(h.points))
	out = append(out, h.points[h.next:]...)
	return append(out, h.points[:h.next]...)
}

// Series maps every point, oldest first; NaN marks a gap (no rate yet,
// or no lookups in the interval for a hit rate).
func (h *History) Series(f func(Point) (float64, bool)) []float64 {
	pts := h.Points()
	out := make([]float64, len(pts))
	for i, p := range pts {
		if v, ok := f(p); ok {
			out[i] = v
		} else {
			out[i] = math.NaN()
		}
	}
	return out
}

// OpsSeries is ops/s per point.
func (h *History) OpsSeries() []float64 {
	return h.Series(func(p Point) (float64, bool) { return p.Rates.OpsPerSec, p.Rates.Valid })
}

// HitRateSeries is the hit rate over each interval, 0..1.
func (h *History) HitRateSeries() []float64 {
	return h.Series(func(p Point) (float64, bool) { return p.Rates.HitRate, p.Rates.Valid && p.Rates.HitRateOK })
}

// MemorySeries is used_memory in bytes.
func (h *History) MemorySeries() []float64 {
	return h.Series(func(p Point) (float64, bool) { return float64(p.Sample.Info.UsedMemory), true })
}
