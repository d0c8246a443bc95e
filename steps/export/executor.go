// Package export copies the ElastiCache snapshot to the S3 bucket
// (CopySnapshot with TargetBucket, or ExportServerlessCacheSnapshot for a
// serverless cache), after a preflight of the bucket, and waits for the
// .rdb object of every shard (every object a serverless export writes).
package export

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// StepID is the runbook step this package carries out.
const StepID = runbook.MigrateExport

// callTimeout bounds each API call.
const callTimeout = 30 * time.Second

// Executor is migrate.export.
type Executor struct {
	// Poll is the HeadObject interval while the export runs (default 5s).
	Poll time.Duration
}

// Executors returns this package's executors by step ID.
func Executors() map[runbook.StepID]runbook.Executor {
	return map[runbook.StepID]runbook.Executor{StepID: &Executor{}}
}

func (e *Executor) poll() time.Duration {
	if e.Poll > 0 {
		return e.Poll
	}
	return 5 * time.Second
}

// Keys are the objects an export of the snapshot name writes, one per
// shard.
func Keys(name string, shards int) []string {
	keys := make([]string, max(shards, 1))
	for i := range keys {
		keys[i] = fmt.Sprintf("%s-%04d.rdb", name, i+1)
	}
	return keys
}

// job is what an export works on, from the facts of migrate.snapshot.
type job struct {
	snapshot string
	shards   int
	bucket   string
	keys     []string
}

func jobOf(env *runbook.Env) (job, error) {
	j := job{snapshot: env.Fact(runbook.SnapshotName), bucket: env.Config.S3.Bucket, shards: 1}
	if j.snapshot == "" {
		return j, errors.New("no snapshot is recorded: run migrate.snapshot first")
	}
	if j.bucket == "" {
		return j, errors.New("s3.bucket is not set: name the bucket to export to in the config")
	}
	if n, err := strconv.Atoi(env.Fact(runbook.SnapshotShards)); err == nil && n > 0 {
		j.shards = n
	}
	if !env.Config.Source.Serverless() {
		j.keys = Keys(j.snapshot, j.shards)
	}
	return j, nil
}

// Plan lists the preflight, the export and the wait; the operator types
// the bucket.
func (e *Executor) Plan(ctx context.Context, env *runbook.Env) (runbook.Plan, error) {
	j, err := jobOf(env)
	if err != nil {
		return runbook.Plan{}, err
	}
	if env.Config.Source.Serverless() {
		return e.planServerless(env, j), nil
	}
	region := env.Config.AWS.Region
	grant := fmt.Sprintf("s3:GetBucketAcl %s: canonical ID %s has READ, WRITE, READ_ACP (or a bucket policy for %s)", j.bucket, shortID(), servicePrincipal(region))
	if optIn(region) {
		grant = fmt.Sprintf("s3:GetBucketPolicy %s: allows %s %s", j.bucket, servicePrincipal(region), strings.Join(policyActions, ", "))
	}
	return runbook.Plan{
		Summary:  fmt.Sprintf("Export snapshot %s to s3://%s and wait for %d object(s)", j.snapshot, j.bucket, len(j.keys)),
		Resource: j.bucket,
		Calls: []string{
			fmt.Sprintf("s3:GetBucketLocation %s: must be %s", j.bucket, region),
			"s3:ListBuckets: the caller has s3:ListAllMyBuckets",
			grant,
			fmt.Sprintf("s3:HeadObject %s: skip the export when every object is already there", strings.Join(j.keys, ", ")),
			fmt.Sprintf("elasticache:CopySnapshot SourceSnapshotName=%s TargetSnapshotName=%s TargetBucket=%s", j.snapshot, j.snapshot, j.bucket),
			fmt.Sprintf("s3:HeadObject each object every %s until all are there", e.poll()),
		},
	}, nil
}

// Run preflights the bucket, exports and waits for the objects.
func (e *Executor) Run(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	j, err := jobOf(env)
	if err != nil {
		return runbook.Result{}, err
	}
	api, err := probes.NewS3(ctx, env.Config.AWS)
	if err != nil {
		return runbook.Result{}, err
	}
	ev, err := preflight(ctx, api, j.bucket, env.Config.AWS.Region)
	if err != nil {
		return runbook.Result{}, err
	}
	for _, row := range ev {
		if !row.OK {
			return runbook.Result{Summary: fmt.Sprintf("bucket %s is not ready for the export: %s; nothing was exported", j.bucket, row.Want), Evidence: ev}, nil
		}
	}
	env.Logf("bucket %s passed the preflight", j.bucket)
	if env.Config.Source.Serverless() {
		return e.runServerless(ctx, env, j, api, ev, report)
	}
	present, err := heads(ctx, api, j)
	if err != nil {
		return runbook.Result{}, err
	}
	if len(present) == len(j.keys) {
		env.Logf("every object of %s is already in s3://%s: not exporting again", j.snapshot, j.bucket)
	} else {
		ec, err := probes.NewElastiCache(ctx, env.Config.AWS)
		if err != nil {
			return runbook.Result{}, err
		}
		_, err = call(ctx, func(ctx context.Context) (*elasticache.CopySnapshotOutput, error) {
			return ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String(j.snapshot),
				TargetSnapshotName: aws.String(j.snapshot), TargetBucket: aws.String(j.bucket)})
		})
		if err != nil {
			return runbook.Result{}, ecErr("CopySnapshot", err)
		}
		env.Logf("CopySnapshot %s to s3://%s requested", j.snapshot, j.bucket)
		if present, err = e.wait(ctx, api, j, report); err != nil {
			return runbook.Result{}, err
		}
	}
	return result(j, ev, present), nil
}

// wait polls HeadObject until every object is there.
func (e *Executor) wait(ctx context.Context, api *s3.Client, j job, report func(runbook.Progress)) (map[string]int64, error) {
	start := time.Now()
	tick := time.NewTicker(e.poll())
	defer tick.Stop()
	for {
		present, err := heads(ctx, api, j)
		if err != nil {
			return nil, err
		}
		report(runbook.Progress{Done: int64(len(present)), Total: int64(len(j.keys)), Unit: "objects",
			Message: fmt.Sprintf("exporting to s3://%s for %s", j.bucket, time.Since(start).Round(time.Second))})
		if len(present) == len(j.keys) {
			return present, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped waiting for the export of %s after %s (%d of %d objects): %w", j.snapshot, time.Since(start).Round(time.Second), len(present), len(j.keys), ctx.Err())
		case <-tick.C:
		}
	}
}

// heads returns the sizes of the job's objects that exist.
func heads(ctx context.Context, api *s3.Client, j job) (map[string]int64, error) {
	present := map[string]int64{}
	for _, k := range j.keys {
		out, err := call(ctx, func(ctx context.Context) (*s3.HeadObjectOutput, error) {
			return api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(j.bucket), Key: aws.String(k)})
		})
		switch {
		case isNotFound(err):
		case err != nil:
			return nil, s3Err("HeadObject s3://"+j.bucket+"/"+k, err)
		default:
			present[k] = aws.ToInt64(out.ContentLength)
		}
	}
	return present, nil
}

func result(j job, ev []runbook.Evidence, present map[string]int64) runbook.Result {
	var total int64
	for _, k := range j.keys {
		ev = append(ev, runbook.Evidence{Name: "object", Value: fmt.Sprintf("s3://%s/%s (%s)", j.bucket, k, runbook.Amount(present[k], "bytes")), OK: true})
		total += present[k]
	}
	return runbook.Result{
		OK:       true,
		Summary:  fmt.Sprintf("snapshot %s exported to s3://%s: %d object(s), %s", j.snapshot, j.bucket, len(j.keys), runbook.Amount(total, "bytes")),
		Evidence: ev,
		Outputs:  map[string]string{runbook.ExportBucket.Name: j.bucket, runbook.ExportKeys.Name: strings.Join(j.keys, ","), "name": j.snapshot},
	}
}

// Verify checks the exported objects are in the bucket.
func (e *Executor) Verify(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	j, err := jobOf(env)
	if err != nil {
		return runbook.Result{}, err
	}
	api, err := probes.NewS3(ctx, env.Config.AWS)
	if err != nil {
		return runbook.Result{}, err
	}
	if env.Config.Source.Serverless() {
		return verifyServerless(ctx, api, j)
	}
	present, err := heads(ctx, api, j)
	if err != nil {
		return runbook.Result{}, err
	}
	if len(present) < len(j.keys) {
		var missing []string
		for _, k := range j.keys {
			if _, ok := present[k]; !ok {
				missing = append(missing, "s3://"+j.bucket+"/"+k)
			}
		}
		return runbook.Result{Summary: "not exported yet: " + strings.Join(missing, ", ") + " missing"}, nil
	}
	return result(j, nil, present), nil
}

// call runs one API call with its own timeout.
func call[T any](ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return f(ctx)
}

func isNotFound(err error) bool {
	return probes.IsAWSCode(err, "NotFound") || probes.IsAWSCode(err, "NoSuchKey")
}

func s3Err(op string, err error) error { return probes.AWSCallError("S3", op, err, callTimeout) }
func ecErr(op string, err error) error {
	return probes.AWSCallError("ElastiCache", op, err, callTimeout)
}
