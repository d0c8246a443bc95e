package awsstub

import (
	"context"
	"fmt"
	"io"
)

// Shard is one node group of a cluster-mode replication group: its slots,
// its nodes and where its snapshot's data comes from.
type Shard struct {
	Slots    string                                       // the slot ranges it serves, as AWS writes them: "0-5460"
	Nodes    []string                                     // host:port of its nodes, the primary first (1..6)
	Snapshot func(ctx context.Context, w io.Writer) error // writes a real RDB of the shard; required
}

// checkShards validates a cluster-mode group: Shards replace
// PrimaryEndpoint, NumReplicas and Snapshot, and ConfigurationEndpoint is
// required.
func (c *Config) checkShards() error {
	if _, _, err := splitHostPort(c.ConfigurationEndpoint); err != nil {
		return fmt.Errorf("awsstub: ConfigurationEndpoint (required with Shards): %w", err)
	}
	for i, sh := range c.Shards {
		switch {
		case sh.Slots == "":
			return fmt.Errorf("awsstub: Shards[%d] has no Slots: give its ranges, e.g. \"0-5460\"", i)
		case len(sh.Nodes) < 1 || len(sh.Nodes) > 6:
			return fmt.Errorf("awsstub: Shards[%d] has %d nodes: give the primary and 0..5 replicas", i, len(sh.Nodes))
		case sh.Snapshot == nil:
			return fmt.Errorf("awsstub: Shards[%d].Snapshot is nil: it reads the shard's real node", i)
		}
		for _, n := range sh.Nodes {
			if _, _, err := splitHostPort(n); err != nil {
				return fmt.Errorf("awsstub: Shards[%d].Nodes: %w", i, err)
			}
		}
	}
	return nil
}

// clusterMode reports whether the group is cluster-mode enabled.
func (s *Server) clusterMode() bool { return len(s.cfg.Shards) > 0 }

// snapshotWriters are what a snapshot of the group writes, one RDB per
// shard.
func (s *Server) snapshotWriters() []func(context.Context, io.Writer) error {
	if !s.clusterMode() {
		return []func(context.Context, io.Writer) error{s.cfg.Snapshot}
	}
	out := make([]func(context.Context, io.Writer) error, len(s.cfg.Shards))
	for i, sh := range s.cfg.Shards {
		out[i] = sh.Snapshot
	}
	return out
}

// exportKeys are the objects an export under prefix writes, one per file:
// "<prefix>-0001.rdb", "<prefix>-0002.rdb", ...
func exportKeys(prefix string, files int) []string {
	keys := make([]string, files)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s-%04d.rdb", prefix, i+1)
	}
	return keys
}
