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

func (e *Executor) runServerless(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	cfg := env.Config
	api, err := probes.NewElastiCache(ctx, cfg.AWS)
	if err != nil {
		return runbook.Result{}, err
	}
	cache := cfg.Source.ServerlessCache
	name := Name(cache, e.now())
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	_, err = api.CreateServerlessCacheSnapshot(cctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String(cache), ServerlessCacheSnapshotName: aws.String(name)})
	cancel()
	var exists *types.ServerlessCacheSnapshotAlreadyExistsFault
	switch {
	case errors.As(err, &exists):
		env.Logf("serverless snapshot %s already exists: waiting for it instead of taking another", name)
	case err != nil:
		return runbook.Result{}, awsErr("CreateServerlessCacheSnapshot", err)
	default:
		env.Logf("CreateServerlessCacheSnapshot %s of serverless cache %s requested", name, cache)
	}
	start := time.Now()
	tick := time.NewTicker(e.poll())
	defer tick.Stop()
	for {
		snap, err := describeServerless(ctx, api, name)
		if err != nil {
			return runbook.Result{}, err
		}
		status := aws.ToString(snap.Status)
		elapsed := time.Since(start)
		report(runbook.Progress{Done: int64(elapsed.Seconds()), Unit: "seconds", Message: fmt.Sprintf("serverless snapshot %s is %s", name, status)})
		switch status {
		case "available":
			env.Logf("serverless snapshot %s is available", name)
			return serverlessResult(snap), nil
		case "failed", "deleted", "deleting":
			return runbook.Result{}, fmt.Errorf("serverless snapshot %s ended in status %s: look at the cache's events in the ElastiCache console, then re-run migrate.snapshot", name, status)
		}
		select {
		case <-ctx.Done():
			return runbook.Result{}, fmt.Errorf("stopped waiting for serverless snapshot %s (status %s after %s): %w", name, status, elapsed.Round(time.Second), ctx.Err())
		case <-tick.C:
		}
	}
}

func describeServerless(ctx context.Context, api *elasticache.Client, name string) (types.ServerlessCacheSnapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := api.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheSnapshotName: aws.String(name)})
	if err != nil {
		return types.ServerlessCacheSnapshot{}, awsErr("DescribeServerlessCacheSnapshots", err)
	}
	if len(out.ServerlessCacheSnapshots) == 0 {
		return types.ServerlessCacheSnapshot{}, fmt.Errorf("ElastiCache DescribeServerlessCacheSnapshots: snapshot %s is not listed", name)
	}
	return out.ServerlessCacheSnapshots[0], nil
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

func (e *Executor) verifyServerless(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	api, err := probes.NewElastiCache(ctx, env.Config.AWS)
	if err != nil {
		return runbook.Result{}, err
	}
	cache := env.Config.Source.ServerlessCache
	name := env.Fact(runbook.SnapshotName)
	if name == "" {
		if name, err = latestServerless(ctx, api, cache); err != nil {
			return runbook.Result{}, err
		}
	}
	if name == "" {
		return runbook.Result{Summary: "no cutover snapshot of serverless cache " + cache + " exists; run migrate.snapshot"}, nil
	}
	snap, err := describeServerless(ctx, api, name)
	if err != nil {
		return runbook.Result{}, err
	}
	res := serverlessResult(snap)
	if st := aws.ToString(snap.Status); st != "available" {
		res.OK = false
		res.Summary = fmt.Sprintf("serverless snapshot %s is %s, not available", name, st)
		res.Evidence[1].OK = false
		res.Outputs = nil
	}
	return res, nil
}

// latestServerless names the newest snapshot this tool made of the cache,
// or "", reading every page of DescribeServerlessCacheSnapshots.
func latestServerless(ctx context.Context, api *elasticache.Client, cache string) (string, error) {
	var names []string
	p := elasticache.NewDescribeServerlessCacheSnapshotsPaginator(api, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheName: aws.String(cache)})
	for p.HasMorePages() {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			return "", awsErr("DescribeServerlessCacheSnapshots", err)
		}
		for _, s := range out.ServerlessCacheSnapshots {
			names = append(names, aws.ToString(s.ServerlessCacheSnapshotName))
		}
	}
	return newest(cache, names), nil
}
