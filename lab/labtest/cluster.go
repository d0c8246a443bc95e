package labtest

import (
	"context"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/servers"
)

// Cluster starts a Redis Cluster of primaries (at least 3) with replicasPer
// replicas each on a random loopback block, one host per node, and returns
// once every node reports cluster_state:ok. Options apply to every node
// (WithPassword, WithConfig); host and port options are ignored.
func Cluster(t testing.TB, primaries, replicasPer int, opts ...Option) *servers.Cluster {
	t.Helper()
	var node servers.RedisConfig
	for _, o := range opts {
		o(&node)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := servers.StartCluster(ctx, servers.ClusterConfig{
		Dir: t.TempDir(), Block: servers.PickBlock(), Primaries: primaries, ReplicasPer: replicasPer,
		Password: node.Password, Extra: node.Extra,
	})
	if err != nil {
		t.Fatalf("labtest: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}
