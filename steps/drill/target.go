package drill

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

// target is what differs between the kinds of target a drill can fail,
// read before the drill: the primary drilled and its replicas, the
// coordinated failover, the canary's client and where the event chain
// comes from. The canary, the fault on the primary's process, the figures
// and the rejoin are shared.
type target interface {
	drilled() string // the primary's host:port
	// candidates are the replicas that could be promoted, or why none can.
	candidates() ([]string, error)
	// limit bounds the wait for the promotion after the fault.
	limit(mode string, margin time.Duration) time.Duration
	// readCalls are the plan's lines for reading the topology and
	// following the events; failoverCall is the coordinated failover's.
	readCalls() []string
	failoverCall() string
	failover(ctx context.Context) error
	// client is what the canary writes through, prefix its keys' prefix
	// (stamp makes it unique to one drill).
	client(tm Timing) redis.UniversalClient
	prefix(stamp string) string
	watch(ctx context.Context, logf func(string, ...any)) (source, error)
	// promotedTo is the new primary named by the promotion event.
	promotedTo(e event) string
	// health is what Verify shows: the evidence rows and a summary.
	health(ctx context.Context) ([]runbook.Evidence, string)
	words() vocabulary
}

// source delivers a target's events during the drill.
type source interface {
	feed() <-chan event
	close()
}

// vocabulary is how a target's drill reads: its event names, the outputs
// timed by them, and the words of the plan, the log and the result.
type vocabulary struct {
	via       string // how the canary writes, e.g. "through a Sentinel client of mymaster"
	observer  string // who reports the events: "sentinel", "node"
	keeper    string // who makes a returning primary a replica
	events    string // the event chain's evidence name
	detect    string // the event that says the primary is down
	detected  string // how the detection reads
	promote   string // the event that ends the failover
	promoted  string // how the promotion reads, in the plan and the result
	abort     string // prefix of an event saying no failover can happen; "" when none
	marks     []mark // outputs timed from the fault to an event
	stuckHint string // where to look when no promotion came
	// moveBack says how to move the primary back, for the dns.record
	// warning; "" when clients follow the target itself, not the DNS.
	moveBack string
}

// mark is an output holding the milliseconds from the fault to an event.
type mark struct{ output, event string }
