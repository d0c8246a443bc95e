package servers

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ClusterConfig describes a Redis Cluster of real redis-server nodes. Every
// node binds its own host of Block (FirstHost, FirstHost+1, ...), so a
// replica never shares an address with its primary: each host stands for a
// zone, and redis-cli's anti-affinity places replicas across them.
type ClusterConfig struct {
	Dir         string // parent directory: one subdirectory per node
	Block       Block
	FirstHost   int // host index of the first node; 0 means 1
	Port        int // every node's port; 0 picks a free one per node
	Primaries   int // at least 3 (redis-cli refuses fewer)
	ReplicasPer int
	Password    string
	Extra       []string // extra config lines for every node
}

// Cluster is a running Redis Cluster: Primaries then Replicas, as created.
type Cluster struct {
	Primaries []*Redis
	Replicas  []*Redis
	Password  string
}

// Nodes returns every node, primaries first.
func (c *Cluster) Nodes() []*Redis {
	return append(append([]*Redis{}, c.Primaries...), c.Replicas...)
}

// Addrs returns every node's host:port, primaries first.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, n := range c.Nodes() {
		out = append(out, n.Addr())
	}
	return out
}

// Stop stops every node. Safe to call more than once.
func (c *Cluster) Stop() {
	for _, n := range c.Nodes() {
		n.Stop()
	}
}

// StartCluster starts the nodes with cluster-enabled, joins them with
// `redis-cli --cluster create` and waits until every node reports
// cluster_state:ok and knows all the others.
func StartCluster(ctx context.Context, cfg ClusterConfig) (*Cluster, error) {
	if cfg.Primaries < 3 {
		return nil, fmt.Errorf("redis cluster: %d primaries: a cluster needs at least 3", cfg.Primaries)
	}
	cli, err := lookBinary("redis-cli")
	if err != nil {
		return nil, err
	}
	first := max(cfg.FirstHost, 1)
	total := cfg.Primaries * (1 + cfg.ReplicasPer)
	extra := []string{"cluster-enabled yes", "cluster-config-file nodes.conf"}
	if !hasDirective(cfg.Extra, "cluster-node-timeout") {
		extra = append(extra, "cluster-node-timeout 2000")
	}
	// Replicas show in CLUSTER SLOTS once their offset moves: the primary's
	// replication ping moves it within a second instead of ten.
	if !hasDirective(cfg.Extra, "repl-ping-replica-period") {
		extra = append(extra, "repl-ping-replica-period 1")
	}
	extra = append(extra, cfg.Extra...)
	c := &Cluster{Password: cfg.Password}
	var nodes []*Redis
	for i := range total {
		host := cfg.Block.Host(first + i)
		n, err := StartRedis(ctx, RedisConfig{
			Dir: filepath.Join(cfg.Dir, "node-"+strconv.Itoa(i+1)), Host: host, Port: cfg.Port,
			Password: cfg.Password, MasterAuth: cfg.Password, Extra: extra,
		})
		if err != nil {
			for _, s := range nodes {
				s.Stop()
			}
			return nil, err
		}
		nodes = append(nodes, n)
	}
	c.Primaries, c.Replicas = nodes[:cfg.Primaries], nodes[cfg.Primaries:]
	if err := createCluster(ctx, cli, c, cfg.ReplicasPer); err != nil {
		c.Stop()
		return nil, err
	}
	if err := c.wait(ctx, 30*time.Second, len(c.Replicas)); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func createCluster(ctx context.Context, cli string, c *Cluster, replicas int) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	cmd := exec.CommandContext(ctx, cli, args...)
	// REDISCLI_AUTH keeps the password off the process list.
	cmd.Env = os.Environ()
	if c.Password != "" {
		cmd.Env = append(cmd.Env, "REDISCLI_AUTH="+c.Password)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("redis-cli --cluster create: %v: %s", err, lastLine(out.String()))
	}
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// WaitOK waits until every node still running reports cluster_state:ok and
// knows every node of the cluster.
func (c *Cluster) WaitOK(ctx context.Context, limit time.Duration) error {
	return c.wait(ctx, limit, -1)
}

// wait is WaitOK that, with replicas >= 0, also waits until every node sees
// that many replicas (gossip spreads the roles after the create).
func (c *Cluster) wait(ctx context.Context, limit time.Duration, replicas int) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	want := strconv.Itoa(len(c.Nodes()))
	for {
		var pending string
		for _, n := range c.Nodes() {
			if n.exited() {
				continue
			}
			if pending = c.pending(ctx, n, want, replicas); pending != "" {
				break
			}
		}
		if pending == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redis cluster not ok within %s: %s", limit, pending)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// pending says what n still lacks, or "" when it is ready.
func (c *Cluster) pending(ctx context.Context, n *Redis, want string, replicas int) string {
	info, err := n.clusterInfo(ctx)
	if err != nil || info["cluster_state"] != "ok" || info["cluster_known_nodes"] != want {
		return fmt.Sprintf("%s: state %q, %s of %s nodes known (%v)", n.Addr(), info["cluster_state"], info["cluster_known_nodes"], want, err)
	}
	if replicas < 0 {
		return ""
	}
	// CLUSTER SLOTS is what cluster clients read, and it leaves out a
	// replica until its replication offset, gossiped, is past zero.
	reply, err := n.reply(ctx, "CLUSTER", "SLOTS")
	if err != nil {
		return fmt.Sprintf("%s: CLUSTER SLOTS: %v", n.Addr(), err)
	}
	seen := map[string]bool{}
	ranges, _ := reply.([]any)
	for _, r := range ranges {
		entry, _ := r.([]any)
		for i := 3; i < len(entry); i++ {
			if node, _ := entry[i].([]any); len(node) >= 3 {
				seen[fmt.Sprint(node[2])] = true
			}
		}
	}
	if len(seen) != replicas {
		return fmt.Sprintf("%s: CLUSTER SLOTS shows %d of %d replicas", n.Addr(), len(seen), replicas)
	}
	return ""
}

func (r *Redis) clusterInfo(ctx context.Context) (map[string]string, error) {
	text, err := r.command(ctx, "CLUSTER", "INFO")
	if err != nil {
		return nil, err
	}
	info := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			info[k] = v
		}
	}
	return info, nil
}

// reply sends one command (after AUTH when r has a password) and returns
// its reply.
func (r *Redis) reply(ctx context.Context, args ...string) (any, error) {
	cmds := [][]string{args}
	if r.Password != "" {
		cmds = [][]string{{"AUTH", r.Password}, args}
	}
	replies, err := roundTrip(ctx, r.Addr(), time.Second, cmds...)
	if err != nil {
		return nil, err
	}
	return replies[len(replies)-1], nil
}

// command is reply for a text reply.
func (r *Redis) command(ctx context.Context, args ...string) (string, error) {
	v, err := r.reply(ctx, args...)
	text, _ := v.(string)
	return text, err
}
