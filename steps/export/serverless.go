package export

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// A serverless snapshot is exported with ExportServerlessCacheSnapshot,
// which names no keys: the export may write several RDB objects, so they
// are found by listing the snapshot's name as a prefix once the snapshot
// is available again.

func (e *Executor) planServerless(env *runbook.Env, j job) runbook.Plan {
	region := env.Config.AWS.Region
	grant := fmt.Sprintf("s3:GetBucketAcl %s: canonical ID %s has READ, WRITE, READ_ACP (or a bucket policy for %s)", j.bucket, shortID(), servicePrincipal(region))
	if optIn(region) {
		grant = fmt.Sprintf("s3:GetBucketPolicy %s: allows %s %s", j.bucket, servicePrincipal(region), strings.Join(policyActions, ", "))
	}
	return runbook.Plan{
		Summary:  fmt.Sprintf("Export serverless snapshot %s to s3://%s and wait for its RDB object(s)", j.snapshot, j.bucket),
		Resource: j.bucket,
		Calls: []string{
			fmt.Sprintf("s3:GetBucketLocation %s: must be %s", j.bucket, region),
			"s3:ListBuckets: the caller has s3:ListAllMyBuckets",
			grant,
			fmt.Sprintf("s3:ListObjectsV2 Prefix=%s: skip the export when its RDB objects are already there", j.snapshot),
			fmt.Sprintf("elasticache:ExportServerlessCacheSnapshot ServerlessCacheSnapshotName=%s S3BucketName=%s", j.snapshot, j.bucket),
			fmt.Sprintf("elasticache:DescribeServerlessCacheSnapshots and s3:ListObjectsV2 Prefix=%s every %s until the snapshot is available again and its .rdb objects are listed; every one is taken", j.snapshot, e.poll()),
		},
	}
}

func (e *Executor) runServerless(ctx context.Context, env *runbook.Env, j job, api *s3.Client, ev []runbook.Evidence, report func(runbook.Progress)) (runbook.Result, error) {
	present, err := exported(ctx, api, j)
	if err != nil {
		return runbook.Result{}, err
	}
	ec, err := probes.NewElastiCache(ctx, env.Config.AWS)
	if err != nil {
		return runbook.Result{}, err
	}
	if len(present) > 0 {
		env.Logf("s3://%s already holds %d RDB object(s) of %s: not exporting again", j.bucket, len(present), j.snapshot)
	} else {
		_, err = call(ctx, func(ctx context.Context) (*elasticache.ExportServerlessCacheSnapshotOutput, error) {
			return ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{
				ServerlessCacheSnapshotName: aws.String(j.snapshot), S3BucketName: aws.String(j.bucket)})
		})
		if err != nil {
			return runbook.Result{}, ecErr("ExportServerlessCacheSnapshot", err)
		}
		env.Logf("ExportServerlessCacheSnapshot %s to s3://%s requested", j.snapshot, j.bucket)
	}
	if present, err = e.waitServerless(ctx, api, ec, j, report); err != nil {
		return runbook.Result{}, err
	}
	j.keys = sortedKeys(present)
	return result(j, ev, present), nil
}

// waitServerless polls until the snapshot is available again (an export
// keeps it "exporting") and the export's objects are listed.
func (e *Executor) waitServerless(ctx context.Context, api *s3.Client, ec *elasticache.Client, j job, report func(runbook.Progress)) (map[string]int64, error) {
	start := time.Now()
	tick := time.NewTicker(e.poll())
	defer tick.Stop()
	for {
		out, err := call(ctx, func(ctx context.Context) (*elasticache.DescribeServerlessCacheSnapshotsOutput, error) {
			return ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheSnapshotName: aws.String(j.snapshot)})
		})
		if err != nil {
			return nil, ecErr("DescribeServerlessCacheSnapshots", err)
		}
		status := "not listed"
		if len(out.ServerlessCacheSnapshots) > 0 {
			status = aws.ToString(out.ServerlessCacheSnapshots[0].Status)
		}
		present, err := exported(ctx, api, j)
		if err != nil {
			return nil, err
		}
		report(runbook.Progress{Done: int64(len(present)), Unit: "objects",
			Message: fmt.Sprintf("snapshot %s is %s; %d object(s) in s3://%s after %s", j.snapshot, status, len(present), j.bucket, time.Since(start).Round(time.Second))})
		switch {
		case status == "available" && len(present) > 0:
			return present, nil
		case status == "failed" || status == "not listed":
			return nil, fmt.Errorf("serverless snapshot %s is %s: re-run migrate.snapshot, then migrate.export", j.snapshot, status)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped waiting for the export of %s after %s (status %s, %d object(s)): %w", j.snapshot, time.Since(start).Round(time.Second), status, len(present), ctx.Err())
		case <-tick.C:
		}
	}
}

// exportSibling is what may follow the snapshot's name in an export's key
// beside it: "<name>.rdb" or "<name>-NNNN.rdb", as node-based exports name
// theirs.
var exportSibling = regexp.MustCompile(`^(-\d+)?\.rdb$`)

// exportKey tells an object of the export of snapshot name: an .rdb under
// "<name>/", or one beside it.
func exportKey(name, key string) bool {
	if rest, ok := strings.CutPrefix(key, name+"/"); ok {
		return strings.HasSuffix(rest, ".rdb") && len(rest) > len(".rdb")
	}
	rest, ok := strings.CutPrefix(key, name)
	return ok && exportSibling.MatchString(rest)
}

// exported lists the export's RDB objects with their sizes.
func exported(ctx context.Context, api *s3.Client, j job) (map[string]int64, error) {
	present := map[string]int64{}
	p := s3.NewListObjectsV2Paginator(api, &s3.ListObjectsV2Input{Bucket: aws.String(j.bucket), Prefix: aws.String(j.snapshot)})
	for p.HasMorePages() {
		out, err := call(ctx, func(ctx context.Context) (*s3.ListObjectsV2Output, error) { return p.NextPage(ctx) })
		if err != nil {
			return nil, s3Err("ListObjectsV2 s3://"+j.bucket+"/"+j.snapshot, err)
		}
		for _, o := range out.Contents {
			if k := aws.ToString(o.Key); exportKey(j.snapshot, k) {
				present[k] = aws.ToInt64(o.Size)
			}
		}
	}
	return present, nil
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// verifyServerless lists the export's objects again.
func verifyServerless(ctx context.Context, api *s3.Client, j job) (runbook.Result, error) {
	present, err := exported(ctx, api, j)
	if err != nil {
		return runbook.Result{}, err
	}
	if len(present) == 0 {
		return runbook.Result{Summary: fmt.Sprintf("not exported yet: no RDB object of %s in s3://%s", j.snapshot, j.bucket)}, nil
	}
	j.keys = sortedKeys(present)
	return result(j, nil, present), nil
}
