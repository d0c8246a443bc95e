package probes

import (
	"fmt"
	"strings"
	"time"
)

// windowSpan is how many seconds one latency window holds.
const windowSpan = 10

// slowShare is the share of a window's seconds that may be slow. A
// scheduling hiccup of a busy machine lands in a second or two; a server
// that really is slower shows in most of them.
const slowShare = 0.2

// second is one second of PINGs, judged against the limit.
type second struct {
	at    time.Duration // since the measurement began, at the second's end
	n     int           // successful PINGs
	errs  int
	p99   time.Duration
	delay time.Duration // the sampler's own p99 wake-up delay in that second
	slow  bool
}

// newSecond judges one second: slow when a PING failed or when its p99,
// less the sampler's own wake-up delay (which inflates every round trip it
// measures by as much), is over the limit.
func newSecond(at time.Duration, l Latency, lim limits) second {
	s := second{at: at, n: l.N(), errs: l.Errors, p99: l.Quantile(0.99), delay: l.Delay(0.99)}
	s.slow = s.errs > 0 || s.n == 0 || s.p99-s.delay > lim.maxP99
	return s
}

func (s second) String() string {
	v := fmt.Sprintf("+%ds p99 %s", int(s.at.Round(time.Second).Seconds()), ms(s.p99))
	if s.delay >= 100*time.Microsecond {
		v += fmt.Sprintf(" (sampler delay %s)", ms(s.delay))
	}
	if s.errs > 0 {
		v += fmt.Sprintf(", %d PINGs failed", s.errs)
	}
	return v
}

// verdict is the judgement of one window of seconds.
type verdict struct {
	secs    []second
	slow    []second
	allowed int
	holds   bool
}

// judge holds a window when at most slowShare of its seconds are slow.
func judge(secs []second) verdict {
	v := verdict{secs: secs, allowed: int(slowShare * float64(len(secs)))}
	for _, s := range secs {
		if s.slow {
			v.slow = append(v.slow, s)
		}
	}
	v.holds = len(secs) > 0 && len(v.slow) <= v.allowed
	return v
}

func (v verdict) String() string {
	return fmt.Sprintf("%d of %d seconds over the limit (at most %d allowed)", len(v.slow), len(v.secs), v.allowed)
}

// series renders per-second p99s in ms, slow ones marked with "!".
func series(secs []second) string {
	parts := make([]string, len(secs))
	for i, s := range secs {
		parts[i] = fmt.Sprintf("%.2f", float64(s.p99)/float64(time.Millisecond))
		if s.slow {
			parts[i] += "!"
		}
	}
	return strings.Join(parts, " ")
}

// windowRows records a window: its per-second series, its verdict, and for
// a window that broke, one row per second that broke it.
func (p *proof) windowRows(name string, v verdict, lim limits) {
	p.row(name+": p99 per second, ms (! over the limit)", series(v.secs), lim.p99Want+" less the sampler's own delay", true)
	p.row(name, v.String(), fmt.Sprintf("at most %.0f%% of the seconds", slowShare*100), v.holds)
	if v.holds {
		if len(v.slow) > 0 {
			p.warn("%s: %d slow second(s) tolerated as scheduling noise: %s", name, len(v.slow), joinSeconds(v.slow))
		}
		return
	}
	for _, s := range v.slow {
		p.row("slow second", s.String(), lim.p99Want, false)
	}
}

func joinSeconds(secs []second) string {
	parts := make([]string, len(secs))
	for i, s := range secs {
		parts[i] = s.String()
	}
	return strings.Join(parts, "; ")
}
