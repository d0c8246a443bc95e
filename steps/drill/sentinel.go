package drill

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// queryTimeout bounds one command to a sentinel or server.
const queryTimeout = 3 * time.Second

// topology is what the sentinels say about the master before the drill.
type topology struct {
	t               runbook.Target
	sentinel        string // the sentinel that answered
	primary         string // host:port
	downAfter       time.Duration
	failoverTimeout time.Duration
	replicas        []replica
}

type replica struct {
	addr, flags, link string
	priority          int
}

// promotable is what Sentinel requires of a replica it may promote.
func (r replica) promotable() (bool, string) {
	switch {
	case hasFlag(r.flags, "s_down"), hasFlag(r.flags, "o_down"), hasFlag(r.flags, "disconnected"):
		return false, r.addr + " is down (" + r.flags + ")"
	case r.link != "ok":
		return false, r.addr + " has its replication link " + r.link
	case r.priority == 0:
		return false, r.addr + " has replica-priority 0 (never promoted)"
	}
	return true, ""
}

func hasFlag(flags, f string) bool {
	for _, x := range strings.Split(flags, ",") {
		if x == f {
			return true
		}
	}
	return false
}

// readTopology asks the sentinels in turn until one answers.
func readTopology(ctx context.Context, t runbook.Target) (topology, error) {
	var errs []string
	for _, addr := range t.Sentinel.Addrs {
		tp, err := askTopology(ctx, t, addr)
		if err == nil {
			return tp, nil
		}
		errs = append(errs, err.Error())
		if ctx.Err() != nil {
			break
		}
	}
	return topology{}, fmt.Errorf("no sentinel described master %q: %s", t.Sentinel.Master, strings.Join(errs, "; "))
}

func askTopology(ctx context.Context, t runbook.Target, addr string) (topology, error) {
	c := probes.SentinelClient(t, addr, "drill", probes.PoolSize(1))
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	m, err := c.Master(ctx, t.Sentinel.Master).Result()
	if err != nil {
		return topology{}, errors.New(probes.Explain(err))
	}
	tp := topology{t: t, sentinel: addr, primary: net.JoinHostPort(m["ip"], m["port"]),
		downAfter: millis(m["down-after-milliseconds"]), failoverTimeout: millis(m["failover-timeout"])}
	reps, err := c.Replicas(ctx, t.Sentinel.Master).Result()
	if err != nil {
		return topology{}, errors.New(probes.Explain(err))
	}
	for _, r := range reps {
		prio, _ := strconv.Atoi(r["slave-priority"])
		tp.replicas = append(tp.replicas, replica{addr: net.JoinHostPort(r["ip"], r["port"]), flags: r["flags"],
			link: r["master-link-status"], priority: prio})
	}
	return tp, nil
}

// candidates returns the replicas Sentinel could promote, or an error that
// says why none can be: a drill then would only take the target down.
func (tp topology) candidates() ([]string, error) {
	var ok, why []string
	for _, r := range tp.replicas {
		if good, reason := r.promotable(); good {
			ok = append(ok, r.addr)
		} else {
			why = append(why, reason)
		}
	}
	if len(ok) > 0 {
		return ok, nil
	}
	if len(why) == 0 {
		why = []string{"the sentinels know no replica of " + tp.primary}
	}
	return nil, fmt.Errorf("no replica can be promoted (%s): a drill now would leave the target without a primary; fix the replica first", strings.Join(why, "; "))
}

// failover asks a sentinel for SENTINEL FAILOVER.
func failover(ctx context.Context, t runbook.Target, addr string) error {
	c := probes.SentinelClient(t, addr, "drill", probes.PoolSize(1))
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	if err := c.Failover(ctx, t.Sentinel.Master).Err(); err != nil {
		msg := probes.Explain(err)
		if strings.HasPrefix(msg, "NOGOODSLAVE") {
			return fmt.Errorf("no replica can be promoted: sentinel %s answered %s", addr, msg)
		}
		return fmt.Errorf("SENTINEL FAILOVER %s on %s: %s", t.Sentinel.Master, addr, msg)
	}
	return nil
}

func millis(s string) time.Duration {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Duration(n) * time.Millisecond
}
