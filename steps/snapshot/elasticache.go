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

func (e *Executor) runElastiCache(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	cfg := env.Config
	api, err := probes.NewElastiCache(ctx, cfg.AWS)
	if err != nil {
		return runbook.Result{}, err
	}
	group := cfg.Source.ReplicationGroup
	name := Name(group, e.now())
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	_, err = api.CreateSnapshot(cctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String(group), SnapshotName: aws.String(name)})
	cancel()
	var exists *types.SnapshotAlreadyExistsFault
	switch {
	case errors.As(err, &exists):
		env.Logf("snapshot %s already exists: waiting for it instead of taking another", name)
	case err != nil:
		return runbook.Result{}, awsErr("CreateSnapshot", err)
	default:
		env.Logf("CreateSnapshot %s of replication group %s requested", name, group)
	}
	snap, err := e.waitAvailable(ctx, api, name, report)
	if err != nil {
		return runbook.Result{}, err
	}
	env.Logf("snapshot %s is available", name)
	if err := allShards(env, snap); err != nil {
		return runbook.Result{}, err
	}
	return snapshotResult(snap), nil
}

// allShards refuses a snapshot that holds fewer shards than
// inventory.discover found in the group: its export would miss their
// keys.
func allShards(env *runbook.Env, snap types.Snapshot) error {
	want, err := strconv.Atoi(env.Fact(runbook.DiscoverShards))
	if err != nil || Shards(snap) >= want {
		return nil
	}
	return fmt.Errorf("snapshot %s holds %d shard(s), but replication group %s has %d (inventory.discover): re-run inventory.discover if the group was resharded, then migrate.snapshot",
		aws.ToString(snap.SnapshotName), Shards(snap), env.Config.Source.ReplicationGroup, want)
}

// waitAvailable polls DescribeSnapshots until the snapshot is available.
func (e *Executor) waitAvailable(ctx context.Context, api *elasticache.Client, name string, report func(runbook.Progress)) (types.Snapshot, error) {
	start := time.Now()
	tick := time.NewTicker(e.poll())
	defer tick.Stop()
	for {
		snap, err := describe(ctx, api, name)
		if err != nil {
			return types.Snapshot{}, err
		}
		status := aws.ToString(snap.SnapshotStatus)
		elapsed := time.Since(start)
		report(runbook.Progress{Done: int64(elapsed.Seconds()), Unit: "seconds", Message: fmt.Sprintf("snapshot %s is %s", name, status)})
		switch status {
		case "available":
			return snap, nil
		case "failed", "deleted", "deleting":
			return types.Snapshot{}, fmt.Errorf("snapshot %s ended in status %s: look at the replication group's events in the ElastiCache console, then re-run migrate.snapshot", name, status)
		}
		select {
		case <-ctx.Done():
			return types.Snapshot{}, fmt.Errorf("stopped waiting for snapshot %s (status %s after %s): %w", name, status, elapsed.Round(time.Second), ctx.Err())
		case <-tick.C:
		}
	}
}

func describe(ctx context.Context, api *elasticache.Client, name string) (types.Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := api.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String(name)})
	if err != nil {
		return types.Snapshot{}, awsErr("DescribeSnapshots", err)
	}
	if len(out.Snapshots) == 0 {
		return types.Snapshot{}, fmt.Errorf("ElastiCache DescribeSnapshots: snapshot %s is not listed", name)
	}
	return out.Snapshots[0], nil
}

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

func (e *Executor) verifyElastiCache(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	api, err := probes.NewElastiCache(ctx, env.Config.AWS)
	if err != nil {
		return runbook.Result{}, err
	}
	name := env.Fact(runbook.SnapshotName)
	if name == "" {
		if name, err = latest(ctx, api, env.Config.Source.ReplicationGroup); err != nil {
			return runbook.Result{}, err
		}
	}
	if name == "" {
		return runbook.Result{Summary: "no cutover snapshot of " + env.Config.Source.ReplicationGroup + " exists; run migrate.snapshot"}, nil
	}
	snap, err := describe(ctx, api, name)
	if err != nil {
		return runbook.Result{}, err
	}
	res := snapshotResult(snap)
	if st := aws.ToString(snap.SnapshotStatus); st != "available" {
		res.OK = false
		res.Summary = fmt.Sprintf("snapshot %s is %s, not available", name, st)
		res.Evidence[1].OK = false
		res.Outputs = nil
	}
	return res, nil
}

// latest names the newest snapshot this tool made of the group, or "".
func latest(ctx context.Context, api *elasticache.Client, group string) (string, error) {
	var names []string
	p := elasticache.NewDescribeSnapshotsPaginator(api, &elasticache.DescribeSnapshotsInput{ReplicationGroupId: aws.String(group)})
	for p.HasMorePages() {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			return "", awsErr("DescribeSnapshots", err)
		}
		for _, s := range out.Snapshots {
			names = append(names, aws.ToString(s.SnapshotName))
		}
	}
	return newest(group, names), nil
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
