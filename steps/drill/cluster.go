package drill

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// clusterTopology is the target of a drill on one shard of a Redis
// Cluster: the shard owning the canary keys' slot, as the seed node sees
// it before the drill.
type clusterTopology struct {
	t           runbook.Target
	seed        string
	nodes       []clusterNode
	shard       clusterNode // the drilled primary
	tag         string      // the canary keys' hash tag
	slot        int         // its slot, served by shard
	nodeTimeout time.Duration
}

var _ target = clusterTopology{}

// tagTries bounds the hash tags tried for a shard chosen by shard=:
// enough to hit a shard of one 50th of the slots with near certainty.
const tagTries = 256

// readCluster reads CLUSTER NODES on the seed and picks the shard: the
// one owning the canary tag's slot, or with shard= the given primary, with
// a tag found (CLUSTER KEYSLOT, pipelined) whose slot it owns.
func readCluster(ctx context.Context, t runbook.Target, shard string) (clusterTopology, error) {
	u, err := url.Parse(t.URL)
	if err != nil || u.Host == "" {
		return clusterTopology{}, fmt.Errorf("target.url %q is not a redis:// or rediss:// URL of a seed node", t.URL)
	}
	c := probes.Client(t.Endpoint, "drill", probes.PoolSize(1))
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	text, err := c.ClusterNodes(ctx).Result()
	if err != nil {
		return clusterTopology{}, fmt.Errorf("CLUSTER NODES on the seed %s: %s", u.Host, probes.Explain(err))
	}
	ct := clusterTopology{t: t, seed: u.Host, nodes: parseNodes(text, u.Host), nodeTimeout: 15 * time.Second}
	if shard != "" {
		if n, ok := ct.node(shard); !ok || !n.primary() {
			return clusterTopology{}, fmt.Errorf("run option shard=%s is not a primary of the cluster; its primaries: %s", shard, strings.Join(ct.primaries(), ", "))
		}
	}
	tags := []string{"cutover-drill"}
	for i := 1; shard != "" && i < tagTries; i++ {
		tags = append(tags, "cutover-drill-"+strconv.Itoa(i))
	}
	slots := make([]*redis.IntCmd, len(tags))
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, tag := range tags {
			slots[i] = p.ClusterKeySlot(ctx, "{"+tag+"}")
		}
		return nil
	}); err != nil {
		return clusterTopology{}, fmt.Errorf("CLUSTER KEYSLOT on the seed %s: %s", u.Host, probes.Explain(err))
	}
	for i, cmd := range slots {
		slot := int(cmd.Val())
		owner, ok := ct.owner(slot)
		if ok && (shard == "" || owner.addr == shard) {
			ct.shard, ct.tag, ct.slot = owner, tags[i], slot
			break
		}
	}
	switch {
	case ct.tag == "" && shard == "":
		return clusterTopology{}, fmt.Errorf("no primary serves slot %d of the canary keys {%s}: the cluster does not cover every slot (CLUSTER NODES on %s)", slots[0].Val(), tags[0], u.Host)
	case ct.tag == "":
		return clusterTopology{}, fmt.Errorf("none of %d hash tags falls in a slot of %s: it serves too few slots to drill", len(tags), shard)
	}
	if v, err := c.ConfigGet(ctx, "cluster-node-timeout").Result(); err == nil {
		if n, err := strconv.Atoi(v["cluster-node-timeout"]); err == nil && n > 0 {
			ct.nodeTimeout = time.Duration(n) * time.Millisecond
		}
	}
	return ct, nil
}

func (ct clusterTopology) node(addr string) (clusterNode, bool) {
	for _, n := range ct.nodes {
		if n.addr == addr {
			return n, true
		}
	}
	return clusterNode{}, false
}

func (ct clusterTopology) owner(slot int) (clusterNode, bool) {
	for _, n := range ct.nodes {
		if n.has("master") && n.owns(slot) {
			return n, true
		}
	}
	return clusterNode{}, false
}

func (ct clusterTopology) primaries() []string {
	var out []string
	for _, n := range ct.nodes {
		if n.primary() {
			out = append(out, n.addr)
		}
	}
	return out
}

// replicasOf returns the replicas of the primary with that id, and why
// each that is down cannot be promoted.
func (ct clusterTopology) replicasOf(id string) (ok, why []string) {
	for _, n := range ct.nodes {
		if n.master != id || !n.has("slave") {
			continue
		}
		if d := n.down(); d != "" {
			why = append(why, n.addr+" is "+d)
		} else {
			ok = append(ok, n.addr)
		}
	}
	return ok, why
}

func (ct clusterTopology) drilled() string { return ct.shard.addr }

func (ct clusterTopology) candidates() ([]string, error) {
	ok, why := ct.replicasOf(ct.shard.id)
	if len(ok) > 0 {
		return ok, nil
	}
	if len(why) == 0 {
		why = []string{"the seed " + ct.seed + " knows no replica of " + ct.shard.addr}
	}
	return nil, fmt.Errorf("no replica can be promoted (%s): a drill now would leave slots %s without a primary; fix the replica first",
		strings.Join(why, "; "), rangesText(ct.shard.slots))
}

// limit: a node flags the primary fail? after cluster-node-timeout, the
// majority's reports make it fail, and the replicas' election must end
// within twice the node timeout. A coordinated failover needs no
// detection.
func (ct clusterTopology) limit(mode string, margin time.Duration) time.Duration {
	if mode == "failover" {
		return margin
	}
	return 2*ct.nodeTimeout + margin
}

// observers are the nodes whose CLUSTER NODES is polled: every node but
// the drilled primary, which may be dead or frozen.
func (ct clusterTopology) observers() []string {
	var out []string
	for _, n := range ct.nodes {
		if n.id != ct.shard.id && n.down() == "" {
			out = append(out, n.addr)
		}
	}
	return out
}

func (ct clusterTopology) readCalls() []string {
	return []string{
		fmt.Sprintf("CLUSTER NODES, CLUSTER KEYSLOT {%s} and CONFIG GET cluster-node-timeout (%s) on the seed %s: the shard of slot %d, primary %s (slots %s); refuse unless a replica can be promoted",
			ct.tag, ct.nodeTimeout, ct.seed, ct.slot, ct.shard.addr, rangesText(ct.shard.slots)),
		fmt.Sprintf("CLUSTER NODES every %s on each surviving node (%s): the primary flagged fail? (PFAIL) then fail, a replica flagged master, the slots under it; shown as seen",
			pollEvery, strings.Join(ct.observers(), ", ")),
	}
}

// failoverReplica is the replica asked for CLUSTER FAILOVER.
func (ct clusterTopology) failoverReplica() string {
	if c, err := ct.candidates(); err == nil {
		return c[0]
	}
	return "(none)"
}

func (ct clusterTopology) failoverCall() string {
	return fmt.Sprintf("CLUSTER FAILOVER on the replica %s (coordinated: the primary stops taking writes until the replica has them all)", ct.failoverReplica())
}

func (ct clusterTopology) failover(ctx context.Context) error {
	cands, err := ct.candidates()
	if err != nil {
		return err
	}
	c := probes.Client(ct.t.Endpoint, "drill", probes.Addr(cands[0]), probes.PoolSize(1))
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	if err := c.ClusterFailover(ctx).Err(); err != nil {
		return fmt.Errorf("CLUSTER FAILOVER on the replica %s: %s", cands[0], probes.Explain(err))
	}
	return nil
}

func (ct clusterTopology) client(tm Timing) redis.UniversalClient {
	return probes.ClusterClient(ct.t, "drill-canary", probes.Timeout(tm.writeTimeout()), probes.PoolSize(1))
}

// prefix puts every canary key in the drilled shard's slot.
func (ct clusterTopology) prefix(stamp string) string {
	return "cutover:drill:{" + ct.tag + "}:" + stamp + ":"
}

func (ct clusterTopology) watch(ctx context.Context, logf func(string, ...any)) (source, error) {
	w, err := watchNodes(ctx, ct, logf)
	if err != nil {
		return nil, err // not a nil *watcher in an interface
	}
	return w, nil
}

// promotedTo: the payload of slots-moved starts with the new primary.
func (ct clusterTopology) promotedTo(e event) string {
	addr, _, _ := strings.Cut(e.Payload, " ")
	return addr
}

// health: cluster_state ok on the seed, every primary has a replica that
// is up, and the drilled shard's replicas could be promoted.
func (ct clusterTopology) health(ctx context.Context) ([]runbook.Evidence, string) {
	c := probes.Client(ct.t.Endpoint, "drill", probes.PoolSize(1))
	defer c.Close()
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	state := "unknown"
	text, err := c.ClusterInfo(qctx).Result()
	if err != nil {
		state = probes.Explain(err)
	}
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cluster_state:"); ok {
			state = v
		}
	}
	var bare []string
	for _, n := range ct.nodes {
		if ok, _ := ct.replicasOf(n.id); n.primary() && len(ok) == 0 {
			bare = append(bare, n.addr)
		}
	}
	cands, cerr := ct.candidates()
	ev := []runbook.Evidence{
		{Name: "cluster_state (seed " + ct.seed + ")", Value: state, Want: "ok", OK: state == "ok"},
		{Name: "primaries without a replica", Value: orNoneList(bare), Want: "none", OK: len(bare) == 0},
		{Name: "replicas that could be promoted (shard of " + ct.shard.addr + ")", Value: strings.Join(cands, ", "), Want: "at least one", OK: cerr == nil},
	}
	switch {
	case cerr != nil:
		return ev, cerr.Error()
	case state != "ok":
		return ev, "cluster_state is " + state + " on the seed " + ct.seed
	case len(bare) > 0:
		return ev, "primaries without a replica: " + strings.Join(bare, ", ")
	}
	return ev, fmt.Sprintf("cluster ok, %d primaries each with a replica; the drill fails %s (slot %d of the canary)", len(ct.primaries()), ct.shard.addr, ct.slot)
}

func (ct clusterTopology) words() vocabulary {
	return vocabulary{
		via: fmt.Sprintf("through a cluster client (seed %s), every key in slot %d", ct.seed, ct.slot), observer: "node", keeper: "the cluster",
		events: "cluster events (CLUSTER NODES)", detect: "fail", detected: "the primary flagged fail",
		promote: "slots-moved", promoted: "a replica flagged master owning slots " + rangesText(ct.shard.slots),
		marks:     []mark{{"pfail_ms", "pfail"}, {"detection_ms", "fail"}, {"promotion_ms", "slots-moved"}},
		stuckHint: "check CLUSTER NODES and the nodes' logs (cluster-replica-no-failover, replica validity)",
	}
}

func orNoneList(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
