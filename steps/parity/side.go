package parity

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/rediscluster"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/load/slot"
	"github.com/cutover/cutover/steps/rdb"
)

// side is one side of the comparison: one server, or a cluster read
// through a cluster client (each key from the primary serving its slot).
type side struct {
	role    string // "source" or "target"
	addr    string
	one     *redis.Client
	cluster *redis.ClusterClient
	owner   [rediscluster.Count]string // a cluster's slot map
	node    func(addr string) *redis.Client
}

// openTarget opens the target: its primary, or its cluster.
func openTarget(ctx context.Context, cfg *runbook.Config) (*side, error) {
	addr, err := probes.TargetPrimary(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return openSide(ctx, cfg, cfg.Target.Endpoint, "target", addr, cfg.Target.Kind == "cluster")
}

// sourceCluster says the source runs in cluster mode with shards (not
// serverless, whose one virtual shard answers every slot).
func sourceCluster(env *runbook.Env) bool {
	return env.Fact(runbook.DiscoverClusterMode) == "enabled" && !env.Config.Source.Serverless()
}

// openSource opens the source, a cluster-mode one through a cluster
// client.
func openSource(ctx context.Context, env *runbook.Env) (*side, error) {
	cfg := env.Config
	u, err := url.Parse(cfg.Source.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("source.url %q is not a redis:// or rediss:// URL", cfg.Source.URL)
	}
	return openSide(ctx, cfg, cfg.Source, "source", u.Host, sourceCluster(env))
}

func openSide(ctx context.Context, cfg *runbook.Config, ep runbook.Endpoint, role, addr string, cluster bool) (*side, error) {
	node := func(a string) *redis.Client {
		return probes.Client(ep, "parity", probes.Addr(a), probes.ConfigDir(cfg.Dir))
	}
	s := &side{role: role, addr: addr, node: node}
	if !cluster {
		s.one = node(addr)
		return s, nil
	}
	seed := node(addr)
	var err error
	s.owner, err = slot.Read(ctx, seed)
	seed.Close()
	if err != nil {
		return nil, fmt.Errorf("the %s: %v", role, err)
	}
	s.cluster = redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr},
		NewClient: func(o *redis.Options) *redis.Client { return node(o.Addr) }})
	return s, nil
}

func (s *side) close() {
	if s.one != nil {
		s.one.Close()
	}
	if s.cluster != nil {
		s.cluster.Close()
	}
}

// keyCounts are the keys per db: a cluster's summed over its primaries,
// with the count of each.
func (s *side) keyCounts(ctx context.Context) (map[int]int64, map[string]int64, error) {
	if s.cluster == nil {
		n, err := probes.KeyCounts(ctx, s.one)
		if err != nil {
			return nil, nil, fmt.Errorf("INFO keyspace on the %s %s: %s", s.role, s.addr, probes.Explain(err))
		}
		return n, nil, nil
	}
	total, per := map[int]int64{}, map[string]int64{}
	for _, a := range slot.Primaries(s.owner) {
		c := s.node(a)
		n, err := probes.KeyCounts(ctx, c)
		c.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("INFO keyspace on the %s node %s (slots %s): %s", s.role, a, s.slots(a), probes.Explain(err))
		}
		for db, k := range n {
			total[db] += k
		}
		per[a] = n[0]
	}
	return total, per, nil
}

func (s *side) slots(addr string) string {
	return slot.Ranges(s.owner[:], func(a string) bool { return a == addr })
}

// onDB runs f with db selected: a cluster has db0 only.
func (s *side) onDB(ctx context.Context, db int, f func(redis.Cmdable) error) error {
	if s.cluster != nil {
		if db != 0 {
			return fmt.Errorf("db%d has keys on the source and a cluster has only db0", db)
		}
		return f(s.cluster)
	}
	c := s.one.Conn()
	defer c.Close()
	if err := c.Select(ctx, db).Err(); err != nil {
		return fmt.Errorf("SELECT %d on the %s: %s", db, s.role, probes.Explain(err))
	}
	return f(c)
}

// shardRows compare each primary's keys with the snapshot's keys in its
// slots, within tol.
func (t *side) shardRows(per map[string]int64, want [rediscluster.Count]int64, tol float64) []runbook.Evidence {
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
func (t *side) sampledRow(keys []string) runbook.Evidence {
	n := map[string]int{}
	for _, k := range keys {
		n[t.owner[rediscluster.Of([]byte(k))]]++
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
func slotCounts(files []string) ([rediscluster.Count]int64, bool) {
	var out [rediscluster.Count]int64
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
				out[rediscluster.Of(e.Key)]++
			}
		}
		f.Close()
		if err != io.EOF {
			return out, false
		}
	}
	return out, true
}
