package drill

import (
	"fmt"
	"strconv"
	"time"

	"github.com/cutover/cutover/runbook"
)

// figures fills the result from the event chain and the canary's writes.
func (r *run) figures(ch chain, o outage, newPrimary string, resumed bool, lost, acked int) {
	res, out, v := r.res, r.res.Outputs, r.v
	detect, promote := ch.since(v.detect), ch.since(v.promote)
	out["mode"] = r.mode
	out["old_primary"] = r.p.addr
	out["new_primary"] = newPrimary
	for _, m := range v.marks {
		out[m.output] = ms(ch.since(m.event))
	}
	out["first_write_ms"] = ms(o.firstWrite)
	out["outage_ms"] = ms(o.window)
	out["acked_lost"] = strconv.Itoa(lost)
	out["acked_writes"] = strconv.Itoa(acked)
	out["failed_writes"] = strconv.Itoa(o.failed)
	out["events"] = ch.String()

	detection := runbook.Evidence{Name: "detection (" + v.detected + ")", Value: secs(detect), Want: "seen", OK: detect >= 0}
	if r.mode == "failover" {
		detection = runbook.Evidence{Name: "detection", Value: "not needed: the failover was asked for", OK: true}
	}
	res.Evidence = append(res.Evidence,
		runbook.Evidence{Name: v.events, Value: ch.String(), Want: "... → " + v.promote, OK: promote >= 0},
		detection,
		runbook.Evidence{Name: "promotion (" + v.promoted + ")", Value: secs(promote) + " → " + newPrimary, Want: "a replica promoted", OK: promote >= 0},
		runbook.Evidence{Name: "client outage", Value: fmt.Sprintf("%s (%d writes failed)", secs(o.window), o.failed), OK: resumed},
		runbook.Evidence{Name: "first write after the outage", Value: secs(o.firstWrite), Want: fmt.Sprintf("within %s of the promotion", r.d.Timing.resume()), OK: resumed},
		runbook.Evidence{Name: "acknowledged writes lost", Value: fmt.Sprintf("%d of %d", lost, acked), Want: "0 (replication is asynchronous: a kill can lose the last few)", OK: lost == 0},
	)
	res.OK = promote >= 0 && resumed
	if lost > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d acknowledged writes were lost: the old primary acknowledged them and never passed them on; WAIT or min-replicas-to-write narrow this window", lost))
	}
	res.Summary = fmt.Sprintf("%s drill: %s promoted %s after the fault; clients out for %s; %d of %d acknowledged writes lost",
		r.mode, newPrimary, secs(promote), secs(o.window), lost, acked)
	if !resumed {
		res.Summary = fmt.Sprintf("%s drill: %s was promoted, but the canary could not write again within %s", r.mode, newPrimary, r.d.Timing.resume())
	}
}

// rejoined records whether the old primary came back as a replica.
func (r *run) rejoined(took time.Duration, st replicaState, ok bool) {
	ev := runbook.Evidence{Name: "old primary " + r.p.addr, Want: "a replica of the new primary, link up", OK: ok}
	if ok {
		ev.Value = fmt.Sprintf("%s after %s", st, secs(took))
		r.res.Outputs["rejoin_ms"] = ms(took)
	} else {
		ev.Value = fmt.Sprintf("not back after %s: %s", secs(took), st)
	}
	r.res.Evidence = append(r.res.Evidence, ev)
	switch {
	case ok:
	case r.mode == "kill" && !r.p.local:
		// Expected: nothing here can start it again.
		r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("the old primary %s has not come back: start it (its process manager), and %s will make it a replica", r.p.addr, r.v.keeper))
	default:
		r.res.OK = false
		r.res.Summary += fmt.Sprintf("; the old primary %s did not rejoin as a replica within %s (%s)", r.p.addr, secs(took), st)
	}
}

// ms is a duration in whole milliseconds, "" when it never happened.
func ms(d time.Duration) string {
	if d < 0 {
		return ""
	}
	return strconv.FormatInt(d.Milliseconds(), 10)
}

func secs(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}
