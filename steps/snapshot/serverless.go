package snapshot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/cutover/cutover/runbook"
)

// An ElastiCache Serverless cache is snapshotted through its own calls
// (CreateServerlessCacheSnapshot, DescribeServerlessCacheSnapshots); its
// snapshot names are lower case only, which Name gives for its cache names.

func (e *Executor) planServerless(cfg *runbook.Config) runbook.Plan {
	cache := cfg.Source.ServerlessCache
	name := Name(cache, e.now())
	return runbook.Plan{
		Summary:  fmt.Sprintf("Snapshot serverless cache %s as %s and wait until it is available", cache, name),
		Resource: cache,
		Calls: []string{
			fmt.Sprintf("elasticache:CreateServerlessCacheSnapshot ServerlessCacheName=%s ServerlessCacheSnapshotName=%s (the minute of the run; an existing snapshot of that name is reused)", cache, name),
			fmt.Sprintf("elasticache:DescribeServerlessCacheSnapshots ServerlessCacheSnapshotName=%s every %s until Status=available", name, e.poll()),
		},
	}
}

// serverlessKind snapshots a serverless cache (CreateServerlessCacheSnapshot,
// DescribeServerlessCacheSnapshots).
func serverlessKind(api *elasticache.Client, cache string) kind {
	return kind{
		id: cache, owner: "serverless cache", what: "serverless snapshot", of: "serverless cache " + cache,
		events: "the cache's events", createOp: "CreateServerlessCacheSnapshot",
		create: func(ctx context.Context, name string) error {
			_, err := api.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String(cache), ServerlessCacheSnapshotName: aws.String(name)})
			return err
		},
		taken: func(err error) bool {
			var exists *types.ServerlessCacheSnapshotAlreadyExistsFault
			return errors.As(err, &exists)
		},
		describe: func(ctx context.Context, name string) (shot, error) {
			s, err := describeOne(ctx, "DescribeServerlessCacheSnapshots", name, func(ctx context.Context) (*elasticache.DescribeServerlessCacheSnapshotsOutput, error) {
				return api.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheSnapshotName: aws.String(name)})
			}, serverlessSnapshots)
			if err != nil {
				return shot{}, err
			}
			return shot{status: aws.ToString(s.Status), result: serverlessResult(s)}, nil
		},
		names: func(ctx context.Context) ([]string, error) {
			p := elasticache.NewDescribeServerlessCacheSnapshotsPaginator(api, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheName: aws.String(cache)})
			return allNames(ctx, "DescribeServerlessCacheSnapshots", p, serverlessSnapshots, func(s types.ServerlessCacheSnapshot) *string { return s.ServerlessCacheSnapshotName })
		},
	}
}

func serverlessSnapshots(out *elasticache.DescribeServerlessCacheSnapshotsOutput) []types.ServerlessCacheSnapshot {
	return out.ServerlessCacheSnapshots
}

// serverlessResult records the snapshot; a serverless cache is one
// virtual shard, whatever number of objects its export writes.
func serverlessResult(s types.ServerlessCacheSnapshot) runbook.Result {
	name := aws.ToString(s.ServerlessCacheSnapshotName)
	outputs := map[string]string{runbook.SnapshotName.Name: name, runbook.SnapshotShards.Name: "1"}
	if t := aws.ToTime(s.CreateTime); !t.IsZero() {
		outputs[runbook.SnapshotTakenAt.Name] = strconv.FormatInt(t.UnixMilli(), 10)
	}
	size := "-"
	if n, err := strconv.ParseInt(aws.ToString(s.BytesUsedForCache), 10, 64); err == nil {
		size = runbook.Amount(n, "bytes")
	}
	engine := "-"
	if c := s.ServerlessCacheConfiguration; c != nil {
		engine = strings.TrimSpace(aws.ToString(c.Engine) + " " + aws.ToString(c.MajorEngineVersion))
	}
	return runbook.Result{
		OK:      true,
		Summary: fmt.Sprintf("serverless snapshot %s is available (%s)", name, size),
		Evidence: []runbook.Evidence{
			{Name: "snapshot", Value: name, OK: true},
			{Name: "status", Value: aws.ToString(s.Status), Want: "available", OK: true},
			{Name: "engine", Value: engine, OK: true},
			{Name: "cache size", Value: size, OK: true},
		},
		Outputs: outputs,
	}
}
