package drill

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// replicaState is the old primary's view of itself after the drill.
type replicaState struct {
	role, master, link string
	err                error
}

func (s replicaState) String() string {
	if s.err != nil {
		return s.err.Error()
	}
	if s.role != "slave" {
		return "role " + s.role
	}
	return fmt.Sprintf("replica of %s, link %s", s.master, s.link)
}

func readReplicaState(ctx context.Context, t runbook.Target, addr string) replicaState {
	c := probes.Client(t.Endpoint, "drill", probes.Addr(addr), probes.PoolSize(1), probes.Timeout(time.Second))
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	text, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return replicaState{err: fmt.Errorf("%s: %s", addr, probes.Explain(err))}
	}
	in := probes.ParseInfo(text)
	return replicaState{role: in.Role, master: net.JoinHostPort(in.MasterHost, strconv.FormatInt(in.MasterPort, 10)), link: in.MasterLinkStatus}
}

// waitRejoin waits until old answers as a replica of newPrimary with its
// link up, and returns how long that took, or the last state seen.
func waitRejoin(ctx context.Context, t runbook.Target, old, newPrimary string, limit time.Duration, report func(runbook.Progress)) (time.Duration, replicaState, bool) {
	start := time.Now()
	var st replicaState
	for {
		st = readReplicaState(ctx, t, old)
		if st.err == nil && st.role == "slave" && st.master == newPrimary && st.link == "up" {
			return time.Since(start), st, true
		}
		if time.Since(start) > limit || ctx.Err() != nil {
			return time.Since(start), st, false
		}
		report(runbook.Progress{Done: int64(time.Since(start).Seconds()), Total: int64(limit.Seconds()), Unit: "s",
			Message: "waiting for the old primary " + old + " to rejoin: " + st.String()})
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}
