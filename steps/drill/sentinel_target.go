package drill

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// topology is the target of a drill on a Sentinel-managed primary.
var _ target = topology{}

func (tp topology) drilled() string { return tp.primary }

// limit: Sentinel needs down-after to see the primary down, then at most
// failover-timeout to promote.
func (tp topology) limit(mode string, margin time.Duration) time.Duration {
	l := tp.failoverTimeout + margin
	if mode != "failover" {
		l += tp.downAfter
	}
	return l
}

func (tp topology) readCalls() []string {
	m := tp.t.Sentinel.Master
	return []string{
		fmt.Sprintf("SENTINEL MASTER %s and SENTINEL REPLICAS %s on %s: refuse unless a replica can be promoted", m, m, tp.sentinel),
		fmt.Sprintf("PSUBSCRIBE * on each sentinel (%s): the event chain, shown as it arrives", strings.Join(tp.t.Sentinel.Addrs, ", ")),
	}
}

func (tp topology) failoverCall() string {
	return fmt.Sprintf("SENTINEL FAILOVER %s on %s", tp.t.Sentinel.Master, tp.sentinel)
}

func (tp topology) failover(ctx context.Context) error { return failover(ctx, tp.t, tp.sentinel) }

func (tp topology) client(tm Timing) redis.UniversalClient {
	return probes.FailoverClient(tp.t, "drill-canary", probes.Timeout(tm.writeTimeout()), probes.PoolSize(1))
}

func (tp topology) prefix(stamp string) string { return "cutover:drill:" + stamp + ":" }

func (tp topology) watch(ctx context.Context, logf func(string, ...any)) (source, error) {
	w, err := watch(ctx, tp.t, logf)
	if err != nil {
		return nil, err // not a nil *watcher in an interface
	}
	return w, nil
}

// promotedTo reads +switch-master <master> <old ip> <old port> <new ip> <new port>.
func (tp topology) promotedTo(e event) string {
	f := strings.Fields(e.Payload)
	if len(f) < 5 {
		return ""
	}
	return net.JoinHostPort(f[3], f[4])
}

// health: the sentinels name a primary that answers as one, and a replica
// could be promoted.
func (tp topology) health(ctx context.Context) ([]runbook.Evidence, string) {
	st := readReplicaState(ctx, tp.t, tp.primary)
	cands, cerr := tp.candidates()
	ev := []runbook.Evidence{
		{Name: "primary named by the sentinels", Value: tp.primary + ": " + st.String(), Want: "role master", OK: st.err == nil && st.role == "master"},
		{Name: "replicas that could be promoted", Value: strings.Join(cands, ", "), Want: "at least one", OK: cerr == nil},
	}
	if cerr != nil {
		return ev, cerr.Error()
	}
	return ev, fmt.Sprintf("primary %s, %d replica(s) ready for a failover", tp.primary, len(cands))
}

func (tp topology) words() vocabulary {
	m := tp.t.Sentinel.Master
	return vocabulary{
		via: "through a Sentinel client of " + m, observer: "sentinel", keeper: "Sentinel",
		events: "sentinel events", detect: "+sdown", detected: "+sdown of the primary",
		promote: "+switch-master", promoted: "+switch-master", abort: "-failover-abort-no-good",
		marks:     []mark{{"detection_ms", "+sdown"}, {"odown_ms", "+odown"}, {"promotion_ms", "+switch-master"}},
		stuckHint: "check their logs and SENTINEL REPLICAS " + m,
		moveBack:  "SENTINEL FAILOVER " + m,
	}
}
