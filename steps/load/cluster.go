package load

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/steps/load/slot"
	"github.com/cutover/cutover/steps/rdb"
)

// clusterConns is the default connections per primary of a cluster: the
// primaries already load in parallel, and the batches in flight are what
// the load's memory is.
const clusterConns = 2

// Cluster is a Redis Cluster target.
type Cluster struct {
	Seed string // host:port of any node
	// Client reaches a node (auth, TLS, timeouts); the caller's options
	// also serve the load's own connections.
	Client func(addr string) *redis.Client
}

// options are a node's connection options.
func (cl Cluster) options(addr string) *redis.Options {
	c := cl.Client(addr)
	defer c.Close()
	return c.Options()
}

// LoadCluster loads the verified files (one per source shard) into a Redis
// Cluster: each key goes to the primary serving its slot, over one
// pipeline per primary, all files and primaries at once. MOVED and ASK
// during the load are followed; slots migrating when it starts are in
// Stats.Migrations.
func LoadCluster(ctx context.Context, cl Cluster, files []string, sums []*rdb.Summary, o Options) (*Stats, error) {
	if o.Conns <= 0 {
		o.Conns = clusterConns
	}
	o.norm()
	p, err := prepareCluster(ctx, cl, files, sums, &o)
	if err != nil {
		return nil, err
	}
	return p.load(ctx)
}

// clusterLoad is a cluster load checked and ready to write.
type clusterLoad struct {
	cl      Cluster
	o       *Options
	start   time.Time
	t       *Target
	slots   *slotMap
	addrs   []string
	srcs    []source
	moving  []string
	warning []string
	nodes   map[string]*Target // each primary as probed
}

// prepareCluster reads the slot map and probes every primary; nothing is
// written.
func prepareCluster(ctx context.Context, cl Cluster, files []string, sums []*rdb.Summary, o *Options) (*clusterLoad, error) {
	p := &clusterLoad{cl: cl, o: o, start: time.Now()}
	seed := cl.Client(cl.Seed)
	owner, err := slot.Read(ctx, seed)
	seed.Close()
	if err != nil {
		return nil, err
	}
	if missing := slot.Ranges(owner[:], func(a string) bool { return a == "" }); missing != "" {
		return nil, fmt.Errorf("the cluster serves no primary for slots %s (CLUSTER SLOTS on %s): keys there cannot be written; fix the cluster first (build.cluster); nothing was written", missing, cl.Seed)
	}
	p.slots = newSlotMap(owner, cl.Client)
	p.addrs = slot.Primaries(owner)
	if err := p.probe(ctx); err != nil {
		return nil, err
	}
	for i, sum := range sums {
		for _, d := range sum.DBs {
			if d.Loadable() > 0 && o.mapDB(d.DB) != 0 {
				return nil, fmt.Errorf("%s holds %d keys in db%d and a cluster has only db0: nothing was written", files[i], d.Loadable(), d.DB)
			}
		}
		for _, w := range sum.Warnings {
			o.Logf("warning: %s: %s", files[i], w)
		}
		p.warning = append(p.warning, sum.Warnings...)
		p.srcs = append(p.srcs, source{files[i], sum})
	}
	for _, mv := range p.moving {
		o.Logf("slot migration in progress: %s (its keys are followed through ASK)", mv)
	}
	return p, nil
}

// probe probes every primary: the lowest RDB version among them is what
// the payloads are stamped with; keys are summed; slot migrations listed.
func (p *clusterLoad) probe(ctx context.Context) error {
	keys, perNode := map[int]int64{}, map[string]int64{}
	p.nodes = map[string]*Target{}
	for _, a := range p.addrs {
		c := p.cl.Client(a)
		t, err := Probe(ctx, c)
		var mv []string
		if err == nil {
			mv, err = migrations(ctx, c)
		}
		c.Close()
		if err != nil {
			return fmt.Errorf("%s (the node serving slots %s); nothing was written", err, p.slots.of(a))
		}
		p.moving = append(p.moving, mv...)
		perNode[a] = t.Keys[0]
		p.nodes[a] = t
		for db, n := range t.Keys {
			keys[db] += n
		}
		if p.t == nil || t.RDBVersion < p.t.RDBVersion {
			p.t = &Target{Addr: t.Addr, Engine: t.Engine, RDBVersion: t.RDBVersion, Caps: t.Caps}
		}
	}
	p.t.Keys, p.t.Addr, p.t.PerNode = keys, p.cl.Seed, perNode
	return nil
}

func (p *clusterLoad) load(ctx context.Context) (*Stats, error) {
	o := p.o
	if busy := p.t.Busy([]int{0}); len(busy) > 0 && o.Existing == Refuse {
		return nil, &NotEmptyError{Addr: "cluster at " + p.cl.Seed, Busy: busy}
	}
	for _, a := range p.addrs {
		c := p.cl.Client(a)
		err := prepare(ctx, c, p.nodes[a], []int{0}, o.Existing, o.Logf)
		c.Close()
		if err != nil {
			return nil, err
		}
	}
	to := routing{addrs: p.addrs, opt: p.cl.options, slots: p.slots, migrating: p.moving}
	st, err := stream(ctx, to, p.srcs, p.t, o)
	if st != nil {
		st.Target, st.Elapsed, st.Migrations = p.t, time.Since(p.start), p.moving
		st.Warnings = append(p.warning, st.Warnings...)
	}
	return st, err
}
