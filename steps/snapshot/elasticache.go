package snapshot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// callTimeout bounds each ElastiCache API call.
const callTimeout = 20 * time.Second

func (e *Executor) planElastiCache(env *runbook.Env) runbook.Plan {
	cfg := env.Config
	group := cfg.Source.ReplicationGroup
	name := Name(group, e.now())
	summary := fmt.Sprintf("Snapshot replication group %s as %s and wait until it is available", group, name)
	if n, err := strconv.Atoi(env.Fact(runbook.DiscoverShards)); err == nil && n > 1 {
		summary += fmt.Sprintf(", one RDB for each of its %d shards", n)
	}
	return runbook.Plan{
		Summary:  summary,
		Resource: group,
		Calls: []string{
			fmt.Sprintf("elasticache:CreateSnapshot ReplicationGroupId=%s SnapshotName=%s (the minute of the run; an existing snapshot of that name is reused)", group, name),
			fmt.Sprintf("elasticache:DescribeSnapshots SnapshotName=%s every %s until SnapshotStatus=available", name, e.poll()),
		},
		Warnings: []string{"ElastiCache takes the snapshot from a replica when the group has one; otherwise the primary forks and its latency may rise while the snapshot is written."},
	}
}

// groupKind snapshots a replication group (CreateSnapshot, DescribeSnapshots).
func groupKind(api *elasticache.Client, group string) kind {
	return kind{
		id: group, owner: "replication group", what: "snapshot", of: group,
		events: "the replication group's events", createOp: "CreateSnapshot",
		create: func(ctx context.Context, name string) error {
			_, err := api.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String(group), SnapshotName: aws.String(name)})
			return err
		},
		taken: func(err error) bool {
			var exists *types.SnapshotAlreadyExistsFault
			return errors.As(err, &exists)
		},
		describe: func(ctx context.Context, name string) (shot, error) {
			s, err := describeOne(ctx, "DescribeSnapshots", name, func(ctx context.Context) (*elasticache.DescribeSnapshotsOutput, error) {
				return api.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String(name)})
			}, groupSnapshots)
			if err != nil {
				return shot{}, err
			}
			return shot{status: aws.ToString(s.SnapshotStatus), result: snapshotResult(s)}, nil
		},
		names: func(ctx context.Context) ([]string, error) {
			p := elasticache.NewDescribeSnapshotsPaginator(api, &elasticache.DescribeSnapshotsInput{ReplicationGroupId: aws.String(group)})
			return allNames(ctx, "DescribeSnapshots", p, groupSnapshots, func(s types.Snapshot) *string { return s.SnapshotName })
		},
	}
}

func groupSnapshots(out *elasticache.DescribeSnapshotsOutput) []types.Snapshot { return out.Snapshots }

func snapshotResult(s types.Snapshot) runbook.Result {
	name := aws.ToString(s.SnapshotName)
	shards := Shards(s)
	var size []string
	var taken time.Time
	for _, n := range s.NodeSnapshots {
		if t := aws.ToTime(n.SnapshotCreateTime); t.After(taken) {
			taken = t
		}
		if c := aws.ToString(n.CacheSize); c != "" {
			size = append(size, aws.ToString(n.NodeGroupId)+" "+c)
		}
	}
	outputs := map[string]string{runbook.SnapshotName.Name: name, runbook.SnapshotShards.Name: strconv.Itoa(shards)}
	if !taken.IsZero() {
		outputs[runbook.SnapshotTakenAt.Name] = strconv.FormatInt(taken.UnixMilli(), 10)
	}
	return runbook.Result{
		OK:      true,
		Summary: fmt.Sprintf("snapshot %s is available (%d shard(s))", name, shards),
		Evidence: []runbook.Evidence{
			{Name: "snapshot", Value: name, OK: true},
			{Name: "status", Value: aws.ToString(s.SnapshotStatus), Want: "available", OK: true},
			{Name: "engine", Value: strings.TrimSpace(aws.ToString(s.Engine) + " " + aws.ToString(s.EngineVersion)), OK: true},
			{Name: "shards", Value: strconv.Itoa(shards), OK: true},
			{Name: "cache size", Value: orDash(strings.Join(size, ", ")), OK: true},
		},
		Outputs: outputs,
	}
}

// Shards counts the node groups a snapshot holds (one .rdb per shard when
// exported).
func Shards(s types.Snapshot) int {
	groups := map[string]bool{}
	for _, n := range s.NodeSnapshots {
		groups[aws.ToString(n.NodeGroupId)] = true
	}
	if n := int(aws.ToInt32(s.NumNodeGroups)); n > len(groups) {
		return n
	}
	return max(1, len(groups))
}

// awsErr is one line naming the call and what AWS said.
func awsErr(op string, err error) error {
	return probes.AWSCallError("ElastiCache", op, err, callTimeout)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// allShards refuses a snapshot that holds fewer shards than
// inventory.discover found in the group: its export would miss their
// keys.
func allShards(env *runbook.Env, res runbook.Result) error {
	want, err := strconv.Atoi(env.Fact(runbook.DiscoverShards))
	got, gerr := strconv.Atoi(res.Outputs[runbook.SnapshotShards.Name])
	if err != nil || gerr != nil || got >= want {
		return nil
	}
	return fmt.Errorf("snapshot %s holds %d shard(s), but replication group %s has %d (inventory.discover): re-run inventory.discover if the group was resharded, then migrate.snapshot",
		res.Outputs[runbook.SnapshotName.Name], got, env.Config.Source.ReplicationGroup, want)
}
