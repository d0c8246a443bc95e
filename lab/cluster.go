package lab

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/cutover/cutover/internal/replication"
	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/seed"
	"github.com/cutover/cutover/lab/servers"
)

// The cluster lab (Options.Cluster): a source Redis Cluster of 3 shards,
// each a primary and a replica, stands in for a cluster-mode ElastiCache
// group; the target is a Redis Cluster of 3 primaries and 3 replicas. Each
// node has its own host of the block (one host per simulated zone), all on
// the lab's one port.
const (
	clusterShards   = 3
	hostSourceNodes = 20 // source nodes on .20-.25
	hostTargetNodes = 30 // target nodes on .30-.35
)

func clusterHosts(b servers.Block, first int) []string {
	hosts := make([]string, clusterShards*2)
	for i := range hosts {
		hosts[i] = b.Host(first + i)
	}
	return hosts
}

// clusterDirs are the cluster nodes' directories under the lab's.
func clusterDirs() []string {
	var out []string
	for _, side := range []string{"source-cluster", "target-cluster"} {
		for i := range clusterShards * 2 {
			out = append(out, filepath.Join(side, "node-"+strconv.Itoa(i+1)))
		}
	}
	return out
}

func (l *Lab) startCluster(ctx context.Context, side string, first int, password string) (*servers.Cluster, error) {
	c, err := servers.StartCluster(ctx, servers.ClusterConfig{
		Dir: filepath.Join(l.Dir, side+"-cluster"), Block: l.Block, FirstHost: first, Port: l.Port,
		Primaries: clusterShards, ReplicasPer: 1, Password: password,
		Extra: slices.Concat(l.persistence(), l.userLines("")),
	})
	if err != nil {
		return nil, fmt.Errorf("lab: %s cluster: %w", side, err)
	}
	return c, nil
}

// startSourceCluster starts the source cluster and seeds it through a
// cluster client; Source is its first primary, the configuration endpoint.
func (l *Lab) startSourceCluster(ctx context.Context, password string) error {
	var err error
	if l.SourceCluster, err = l.startCluster(ctx, "source", hostSourceNodes, password); err != nil {
		return err
	}
	l.Source = l.SourceCluster.Primaries[0]
	l.source = redis.NewClient(l.sourceOptions(l.Source.Addr(), password))
	cc := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: []string{l.Source.Addr()}, Password: password, Protocol: 2, DisableIdentity: true, ClientName: "cutover-lab-seed",
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		PoolSize:                 8, DialTimeout: 2 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
	})
	defer cc.Close()
	begin := time.Now()
	if err := seed.Seed(ctx, cc, l.Keys, nil); err != nil {
		return fmt.Errorf("lab: seed the source cluster: %w", err)
	}
	l.logf("source cluster %s seeded with %d keys in %s", strings.Join(l.SourceCluster.Addrs(), " "), l.Keys, time.Since(begin).Round(time.Millisecond))
	return nil
}

// startTargetCluster starts the target cluster and the exporter on its
// first primary; Target is that primary, the seed node cutover.yaml names.
func (l *Lab) startTargetCluster(ctx context.Context, password string) error {
	var err error
	if l.TargetCluster, err = l.startCluster(ctx, "target", hostTargetNodes, password); err != nil {
		return err
	}
	l.Target = l.TargetCluster.Primaries[0]
	if l.TargetZones, err = zones(ctx, l.TargetCluster); err != nil {
		return err
	}
	l.logf("target cluster %s ready", strings.Join(l.TargetCluster.Addrs(), " "))
	return l.startExporter(ctx)
}

// zones places the cluster's nodes in the region's zones as a careful
// operator would, for cutover.yaml's target.zones: shard k's primary in
// zone k, its replicas in the zones after it.
func zones(ctx context.Context, c *servers.Cluster) (map[string]string, error) {
	rc := redis.NewClient(&redis.Options{Addr: c.Primaries[0].Addr(), Password: c.Password, Protocol: 2, DisableIdentity: true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
	defer rc.Close()
	slots, err := rc.ClusterSlots(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("lab: CLUSTER SLOTS of the target: %w", err)
	}
	slices.SortFunc(slots, func(a, b redis.ClusterSlot) int { return a.Start - b.Start })
	out := map[string]string{}
	for k, s := range slots {
		for j, n := range s.Nodes {
			out[nodeHost(n.Addr)] = Region + string(rune('a'+(k+j)%3))
		}
	}
	return out, nil
}

func nodeHost(addr string) string {
	host, _, _ := net.SplitHostPort(addr)
	return host
}

// sourceShards describes the source cluster's shards to the stand-in from
// its slot map: each shard's slots and nodes, and its snapshot, read over
// the replication protocol from the shard's replica (as ElastiCache backs
// up from a replica).
func (l *Lab) sourceShards(ctx context.Context) ([]awsstub.Shard, error) {
	slots, err := l.source.ClusterSlots(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("lab: CLUSTER SLOTS of the source: %w", err)
	}
	slices.SortFunc(slots, func(a, b redis.ClusterSlot) int { return a.Start - b.Start })
	var shards []awsstub.Shard
	byPrimary := map[string]int{}
	for _, s := range slots {
		if len(s.Nodes) == 0 {
			continue
		}
		r := strconv.Itoa(s.Start) + "-" + strconv.Itoa(s.End)
		if i, ok := byPrimary[s.Nodes[0].Addr]; ok {
			shards[i].Slots += "," + r
			continue
		}
		var nodes []string
		for _, n := range s.Nodes {
			nodes = append(nodes, n.Addr)
		}
		from, pw := nodes[len(nodes)-1], l.SourceCluster.Password
		byPrimary[nodes[0]] = len(shards)
		shards = append(shards, awsstub.Shard{Slots: r, Nodes: nodes, Snapshot: func(ctx context.Context, w io.Writer) error {
			_, err := replication.Replicate(ctx, from, pw, w, nil)
			return err
		}})
	}
	return shards, nil
}
