package parity

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/load/slot"
	"github.com/cutover/cutover/steps/rdb"
)

// target is the side compared with the source: one primary, or a cluster
// read through a cluster client (each key from the primary serving its
// slot).
type target struct {
	addr    string
	one     *redis.Client
	cluster *redis.ClusterClient
	owner   [slot.Count]string // a cluster's slot map
	node    func(addr string) *redis.Client
}

func openTarget(ctx context.Context, cfg *runbook.Config) (*target, error) {
	addr, err := probes.TargetPrimary(ctx, cfg)
	if err != nil {
		return nil, err
	}
	node := func(a string) *redis.Client {
		return probes.Client(cfg.Target.Endpoint, "parity", probes.Addr(a), probes.ConfigDir(cfg.Dir))
	}
	t := &target{addr: addr, node: node}
	if cfg.Target.Kind != "cluster" {
		t.one = node(addr)
		return t, nil
	}
	seed := node(addr)
	t.owner, err = slot.Read(ctx, seed)
	seed.Close()
	if err != nil {
		return nil, err
	}
	t.cluster = redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr},
		NewClient: func(o *redis.Options) *redis.Client { return node(o.Addr) }})
	return t, nil
}

func (t *target) close() {
	if t.one != nil {
		t.one.Close()
	}
	if t.cluster != nil {
		t.cluster.Close()
	}
}

// keyCounts are the keys per db: a cluster's summed over its primaries,
// with the count of each.
func (t *target) keyCounts(ctx context.Context) (map[int]int64, map[string]int64, error) {
	if t.cluster == nil {
		tk, err := probes.KeyCounts(ctx, t.one)
		if err != nil {
			return nil, nil, fmt.Errorf("INFO keyspace on the target %s: %s", t.addr, probes.Explain(err))
		}
		return tk, nil, nil
	}
	total, per := map[int]int64{}, map[string]int64{}
	for _, a := range slot.Primaries(t.owner) {
		c := t.node(a)
		tk, err := probes.KeyCounts(ctx, c)
		c.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("INFO keyspace on the target node %s (slots %s): %s", a, t.slots(a), probes.Explain(err))
		}
		for db, n := range tk {
			total[db] += n
		}
		per[a] = tk[0]
	}
	return total, per, nil
}

func (t *target) slots(addr string) string {
	return slot.Ranges(t.owner[:], func(a string) bool { return a == addr })
}

// onDB runs f with db selected on the target: a cluster has db0 only.
func (t *target) onDB(ctx context.Context, db int, f func(redis.Cmdable) error) error {
	if t.cluster != nil {
		if db != 0 {
			return fmt.Errorf("the source's db%d has keys and a cluster target has only db0", db)
		}
		return f(t.cluster)
	}
	c := t.one.Conn()
	defer c.Close()
	if err := c.Select(ctx, db).Err(); err != nil {
		return fmt.Errorf("SELECT %d on the target: %s", db, probes.Explain(err))
	}
	return f(c)
}

// shardRows compare each primary's keys with the snapshot's keys in its
// slots, within tol.
func (t *target) shardRows(per map[string]int64, want [slot.Count]int64, tol float64) []runbook.Evidence {
	var rows []runbook.Evidence
	for _, a := range slot.Primaries(t.owner) {
		var w int64
		for s, o := range t.owner {
			if o == a {
				w += want[s]
			}
		}
		rows = append(rows, runbook.Evidence{Name: fmt.Sprintf("keys on %s (slots %s)", a, t.slots(a)),
			Value: fmt.Sprintf("%d, snapshot %d", per[a], w), Want: fmt.Sprintf("within %g of the snapshot's keys in these slots", tol), OK: within(per[a], w, tol)})
	}
	return rows
}

// sampledRow says how the sample spread over the primaries.
func (t *target) sampledRow(keys []string) runbook.Evidence {
	n := map[string]int{}
	for _, k := range keys {
		n[t.owner[slot.Of([]byte(k))]]++
	}
	v := ""
	for _, a := range slot.Primaries(t.owner) {
		if v != "" {
			v += ", "
		}
		v += a + ": " + strconv.Itoa(n[a])
	}
	return runbook.Evidence{Name: "sampled keys per primary", Value: v, OK: true}
}

// slotCounts are the keys per slot the files hold that have not expired
// by now (what the target should hold), or false when a file cannot be
// read.
func slotCounts(files []string) ([slot.Count]int64, bool) {
	var out [slot.Count]int64
	now := time.Now().UnixMilli()
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return out, false
		}
		rd, err := rdb.NewReader(bufio.NewReaderSize(f, 64<<10))
		for err == nil {
			var e *rdb.Entry
			if e, err = rd.Next(); err == nil && e.Kind == rdb.KeyEntry && !e.Empty && (e.ExpireMS < 0 || e.ExpireMS > now) {
				out[slot.Of(e.Key)]++
			}
		}
		f.Close()
		if err != io.EOF {
			return out, false
		}
	}
	return out, true
}
