package parity

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// batch is how many sampled keys are read per round trip.
const batch = 100

// Finding is one sampled key that differs.
type Finding struct {
	DB     int
	Key    string
	Reason string
	// Drift is true when the source key was used after the snapshot
	// (OBJECT IDLETIME is shorter than the time since): its difference
	// may be a change made since, not a loss.
	Drift bool
	// InFlight is true when a live sync was copying the key: it was equal
	// (or gone from the source) on a second look.
	InFlight bool
}

func (f Finding) String() string {
	s := fmt.Sprintf("db%d %q: %s", f.DB, f.Key, f.Reason)
	switch {
	case f.Drift:
		s += " (used on the source since the snapshot)"
	case f.InFlight:
		s += " (changed in flight: equal on a second look)"
	}
	return s
}

// Deep is the outcome of a sampled deep compare.
type Deep struct {
	Sampled  int
	Same     int
	Big      int // compared by size and a sample
	Findings []Finding
}

// lost is a difference that is neither drift nor in flight.
func (f Finding) lost() bool { return !f.Drift && !f.InFlight }

// Lost counts the differences that are losses.
func (d *Deep) Lost() int { return d.count(Finding.lost) }

func (d *Deep) inFlight() int { return d.count(func(f Finding) bool { return f.InFlight }) }

func (d *Deep) count(keep func(Finding) bool) int {
	n := 0
	for _, f := range d.Findings {
		if keep(f) {
			n++
		}
	}
	return n
}

// recheck compares the differing keys again after wait: while a live sync
// runs, a key changed just before the compare may not be copied yet. Those
// equal now (or gone from the source) are marked in flight.
func recheck(ctx context.Context, src, dst *side, d *Deep, tol, wait time.Duration) error {
	byDB := map[int][]int{}
	for i, f := range d.Findings {
		if !f.Drift {
			byDB[f.DB] = append(byDB[f.DB], i)
		}
	}
	if len(byDB) == 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(wait):
	}
	for db, idx := range byDB {
		keys := make([]string, len(idx))
		for j, i := range idx {
			keys[j] = d.Findings[i].Key
		}
		var again Deep
		if err := onDB(ctx, src, dst, db, func(sc, dc redis.Cmdable) error {
			return compareKeys(ctx, sc, dc, db, keys, tol, 0, &again)
		}); err != nil {
			return err
		}
		still := map[string]bool{}
		for _, f := range again.Findings {
			still[f.Key] = true
		}
		for _, i := range idx {
			d.Findings[i].InFlight = !still[d.Findings[i].Key]
		}
	}
	return nil
}

// compareKeys compares keys of one db: type, TTL within tol, and value
// (decoded DUMP payloads, or size and a sample for big keys). since is the
// time since the snapshot (0 when unknown), for telling drift.
func compareKeys(ctx context.Context, src, dst redis.Cmdable, db int, keys []string, tol, since time.Duration, d *Deep) error {
	for len(keys) > 0 {
		n := min(batch, len(keys))
		if err := compareBatch(ctx, src, dst, db, keys[:n], tol, since, d); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

func compareBatch(ctx context.Context, src, dst redis.Cmdable, db int, keys []string, tol, since time.Duration, d *Deep) error {
	sm, err := describe(ctx, src, keys, since > 0)
	if err != nil {
		return fmt.Errorf("reading sampled keys on the source: %w", err)
	}
	dm, err := describe(ctx, dst, keys, false)
	if err != nil {
		return fmt.Errorf("reading sampled keys on the target: %w", err)
	}
	var small []int
	for i, k := range keys {
		s, t := sm[i], dm[i]
		if !s.exists || s.pttl == -2 {
			continue // expired or deleted since it was picked
		}
		// The sizes are read in a second round trip: a key due to expire
		// within tol may go on either side between the reads, and the
		// servers' clocks decide which.
		expiring := s.pttl >= 0 && time.Duration(s.pttl)*time.Millisecond <= tol
		d.Sampled++
		found := func(reason string) {
			d.Findings = append(d.Findings, Finding{DB: db, Key: k, Reason: reason, Drift: drifted(s.idle, since)})
		}
		switch {
		case expiring && (!t.exists || t.pttl == -2 || s.size != t.size):
			d.Sampled--
		case !t.exists:
			found("missing on the target")
		case s.typ != t.typ:
			found(fmt.Sprintf("type %s on the source, %s on the target", s.typ, t.typ))
		case (s.pttl < 0) != (t.pttl < 0) || time.Duration(abs(s.pttl-t.pttl))*time.Millisecond > tol:
			found(fmt.Sprintf("TTL %s on the source, %s on the target", fmtTTL(s.pttl), fmtTTL(t.pttl)))
		case s.size != t.size:
			found(fmt.Sprintf("%s size %d on the source, %d on the target", s.typ, s.size, t.size))
		case s.big():
			d.Big++
			reason, err := compareBig(ctx, src, dst, k, s)
			if err != nil {
				return fmt.Errorf("sampling big key %q: %w", k, err)
			}
			if reason != "" {
				found(reason)
			} else {
				d.Same++
			}
		default:
			small = append(small, i)
		}
	}
	names := make([]string, len(small))
	for j, i := range small {
		names[j] = keys[i]
	}
	sv, err := dumps(ctx, src, names)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	tv, err := dumps(ctx, dst, names)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	for j, i := range small {
		if sv[j] == nil || tv[j] == nil {
			if expiring := sm[i].pttl >= 0 && time.Duration(sm[i].pttl)*time.Millisecond <= tol; sv[j] == nil || expiring {
				d.Sampled-- // gone or going between the reads
			} else {
				d.Findings = append(d.Findings, Finding{DB: db, Key: keys[i], Reason: "missing on the target", Drift: drifted(sm[i].idle, since)})
			}
			continue
		}
		if reason := Diff(sv[j], tv[j], tol); reason != "" {
			d.Findings = append(d.Findings, Finding{DB: db, Key: keys[i], Reason: reason, Drift: drifted(sm[i].idle, since)})
			continue
		}
		d.Same++
	}
	return nil
}

// drifted tells whether a key with this OBJECT IDLETIME was used after a
// snapshot taken since ago. The server's LRU clock ticks once a second, so
// a key idle for up to a second longer counts too.
func drifted(idle int64, since time.Duration) bool {
	return since > 0 && idle >= 0 && time.Duration(idle)*time.Second <= since+time.Second
}

func fmtTTL(ms int64) string {
	if ms < 0 {
		return "none"
	}
	return (time.Duration(ms) * time.Millisecond).Round(time.Millisecond).String()
}

// CompareKeys compares keys of database db (src and dst are clients of
// that database) by type, TTL within tol and decoded value, adding to d.
// Keys the source does not hold are skipped.
func CompareKeys(ctx context.Context, src, dst redis.Cmdable, db int, keys []string, tol time.Duration, d *Deep) error {
	return compareKeys(ctx, src, dst, db, keys, tol, 0, d)
}
