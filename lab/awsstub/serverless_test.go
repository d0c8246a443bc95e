package awsstub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/steps/rdb"
)

// newServerlessLab is newLab with a serverless cache in place of the
// replication group; its snapshots are the RDB at rdbPath.
func newServerlessLab(t *testing.T, rdbPath string, edit func(*Config)) *lab {
	return newLab(t, func(c *Config) {
		c.ReplicationGroupID, c.PrimaryEndpoint = "", ""
		c.Serverless = &Serverless{Name: "lab-cache", Endpoint: "lab-cache-abc123.serverless.use1.cache.amazonaws.com:6379", MaxDataGB: 10, MaxECPU: 5000}
		c.UserGroupIDs = []string{"lab-users"}
		c.SnapshotRetentionLimit = 1
		c.SnapshotWindow = "05:00-06:00"
		c.Snapshot = func(ctx context.Context, w io.Writer) error {
			f, err := os.Open(rdbPath)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(w, f)
			return err
		}
		if edit != nil {
			edit(c)
		}
	})
}

func TestDescribeServerlessCaches(t *testing.T) {
	l := newServerlessLab(t, filepath.Join(labtest.RDBTestdata(t), "redis-7.2.6.rdb"), nil)
	ctx := ctxT(t)
	out, err := l.ec.DescribeServerlessCaches(ctx, &elasticache.DescribeServerlessCachesInput{ServerlessCacheName: aws.String("lab-cache")})
	must(t, err)
	if len(out.ServerlessCaches) != 1 {
		t.Fatalf("%d caches", len(out.ServerlessCaches))
	}
	c := out.ServerlessCaches[0]
	if aws.ToString(c.Engine) != "redis" || aws.ToString(c.FullEngineVersion) != "7.0" || aws.ToString(c.MajorEngineVersion) != "7" || aws.ToString(c.Status) != "available" {
		t.Errorf("engine %s %s %s, status %s", aws.ToString(c.Engine), aws.ToString(c.FullEngineVersion), aws.ToString(c.MajorEngineVersion), aws.ToString(c.Status))
	}
	if aws.ToString(c.Endpoint.Address) != "lab-cache-abc123.serverless.use1.cache.amazonaws.com" || aws.ToInt32(c.Endpoint.Port) != 6379 || aws.ToInt32(c.ReaderEndpoint.Port) != 6380 {
		t.Errorf("endpoints %s:%d reader %s:%d", aws.ToString(c.Endpoint.Address), aws.ToInt32(c.Endpoint.Port), aws.ToString(c.ReaderEndpoint.Address), aws.ToInt32(c.ReaderEndpoint.Port))
	}
	if aws.ToString(c.UserGroupId) != "lab-users" || aws.ToInt32(c.SnapshotRetentionLimit) != 1 || aws.ToString(c.DailySnapshotTime) != "05:00" {
		t.Errorf("user group %q retention %d daily %q", aws.ToString(c.UserGroupId), aws.ToInt32(c.SnapshotRetentionLimit), aws.ToString(c.DailySnapshotTime))
	}
	if l := c.CacheUsageLimits; l == nil || aws.ToInt32(l.DataStorage.Maximum) != 10 || l.DataStorage.Unit != types.DataStorageUnitGb || aws.ToInt32(l.ECPUPerSecond.Maximum) != 5000 {
		t.Errorf("limits %+v", c.CacheUsageLimits)
	}
	if len(c.SecurityGroupIds) != 1 || len(c.SubnetIds) != 3 || !strings.HasSuffix(aws.ToString(c.ARN), ":serverlesscache:lab-cache") {
		t.Errorf("security groups %v subnets %v ARN %s", c.SecurityGroupIds, c.SubnetIds, aws.ToString(c.ARN))
	}
	_, err = l.ec.DescribeServerlessCaches(ctx, &elasticache.DescribeServerlessCachesInput{ServerlessCacheName: aws.String("nope")})
	var nf *types.ServerlessCacheNotFoundFault
	if !errors.As(err, &nf) {
		t.Fatalf("unknown cache: %v", err)
	}
	// No replication group in a serverless account; the user group names the cache.
	groups, err := l.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{})
	must(t, err)
	if len(groups.ReplicationGroups) != 0 {
		t.Errorf("%d replication groups", len(groups.ReplicationGroups))
	}
	ug, err := l.ec.DescribeUserGroups(ctx, &elasticache.DescribeUserGroupsInput{UserGroupId: aws.String("lab-users")})
	must(t, err)
	if len(ug.UserGroups) != 1 || !slices.Equal(ug.UserGroups[0].ServerlessCaches, []string{"lab-cache"}) || len(ug.UserGroups[0].ReplicationGroups) != 0 {
		t.Errorf("user groups %+v", ug.UserGroups)
	}
}

func (l *lab) serverlessStatus(t *testing.T, name string) string {
	t.Helper()
	out, err := l.ec.DescribeServerlessCacheSnapshots(ctxT(t), &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheSnapshotName: aws.String(name)})
	must(t, err)
	if len(out.ServerlessCacheSnapshots) != 1 {
		t.Fatalf("DescribeServerlessCacheSnapshots(%s) gave %d snapshots", name, len(out.ServerlessCacheSnapshots))
	}
	return aws.ToString(out.ServerlessCacheSnapshots[0].Status)
}

func TestServerlessSnapshotAndExport(t *testing.T) {
	src := filepath.Join(labtest.RDBTestdata(t), "redis-7.2.6.rdb")
	l := newServerlessLab(t, src, func(c *Config) { c.Serverless.ExportParts = 3 })
	ctx := ctxT(t)
	for name, code := range map[string]string{"Upper": "InvalidParameterValue", "9lives": "InvalidParameterValue", "a--b": "InvalidParameterValue", "trailing-": "InvalidParameterValue"} {
		_, err := l.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("lab-cache"), ServerlessCacheSnapshotName: aws.String(name)})
		if !hasCode(err, code) {
			t.Errorf("snapshot name %q: %v, want %s", name, err, code)
		}
	}
	_, err := l.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("other"), ServerlessCacheSnapshotName: aws.String("s1")})
	var nf *types.ServerlessCacheNotFoundFault
	if !errors.As(err, &nf) {
		t.Fatalf("snapshot of an unknown cache: %v", err)
	}
	created, err := l.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("lab-cache"), ServerlessCacheSnapshotName: aws.String("cutover-1")})
	must(t, err)
	if s := aws.ToString(created.ServerlessCacheSnapshot.Status); s != "creating" {
		t.Fatalf("new snapshot is %q", s)
	}
	_, err = l.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("cutover-1"), S3BucketName: aws.String("lab-exports")})
	var state *types.InvalidServerlessCacheSnapshotStateFault
	if !errors.As(err, &state) {
		t.Fatalf("export while creating: %v", err)
	}
	eventually(t, "snapshot available", func() bool { return l.serverlessStatus(t, "cutover-1") == "available" })
	_, err = l.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("lab-cache"), ServerlessCacheSnapshotName: aws.String("cutover-1")})
	var exists *types.ServerlessCacheSnapshotAlreadyExistsFault
	if !errors.As(err, &exists) {
		t.Fatalf("duplicate name: %v", err)
	}
	st, _ := os.Stat(src)
	got, err := l.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheName: aws.String("lab-cache")})
	must(t, err)
	if sn := got.ServerlessCacheSnapshots[0]; aws.ToString(sn.BytesUsedForCache) != fmt.Sprint(st.Size()) || sn.CreateTime == nil ||
		aws.ToString(sn.ServerlessCacheConfiguration.ServerlessCacheName) != "lab-cache" || aws.ToString(sn.SnapshotType) != "manual" {
		t.Errorf("snapshot %+v", sn)
	}

	for bucket, msg := range map[string]string{
		"lab-missing": "The S3 bucket lab-missing does not exist.",
		"lab-eu":      "The S3 bucket lab-eu is outside of the region.",
		"lab-nogrant": "ElastiCache has not been granted READ permissions " + ElastiCacheCanonicalID,
	} {
		_, err := l.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("cutover-1"), S3BucketName: aws.String(bucket)})
		var inv *types.InvalidParameterValueException
		if !errors.As(err, &inv) || !strings.Contains(inv.ErrorMessage(), msg) {
			t.Errorf("export to %s: %v", bucket, err)
		}
	}
	_, err = l.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("nope"), S3BucketName: aws.String("lab-exports")})
	var snf *types.ServerlessCacheSnapshotNotFoundFault
	if !errors.As(err, &snf) {
		t.Fatalf("export of an unknown snapshot: %v", err)
	}
	exp, err := l.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("cutover-1"), S3BucketName: aws.String("lab-exports")})
	must(t, err)
	if s := aws.ToString(exp.ServerlessCacheSnapshot.Status); s != "exporting" {
		t.Fatalf("export answered status %q", s)
	}
	eventually(t, "export finished", func() bool { return l.serverlessStatus(t, "cutover-1") == "available" })

	list, err := l.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("lab-exports"), Prefix: aws.String("cutover-1/")})
	must(t, err)
	var keys []string
	var parts [][]byte
	for _, o := range list.Contents {
		keys = append(keys, aws.ToString(o.Key))
		obj, err := l.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("lab-exports"), Key: o.Key})
		must(t, err)
		body, err := io.ReadAll(obj.Body)
		must(t, err)
		_ = obj.Body.Close()
		parts = append(parts, body)
	}
	want := []string{"cutover-1/cutover-1-0001.rdb", "cutover-1/cutover-1-0002.rdb", "cutover-1/cutover-1-0003.rdb"}
	if !slices.Equal(keys, want) {
		t.Fatalf("exported %v, want %v", keys, want)
	}
	orig, err := os.ReadFile(src)
	must(t, err)
	all := records(t, orig)
	var union []string
	for i, p := range parts {
		got := records(t, p)
		if len(got) == 0 || len(got) == len(all) {
			t.Errorf("part %d holds %d of %d keys: not a part", i+1, len(got), len(all))
		}
		union = append(union, got...)
	}
	slices.Sort(union)
	if !slices.Equal(union, all) {
		t.Fatalf("the parts hold %d records, the snapshot %d: not the same keys and values", len(union), len(all))
	}
	_, err = l.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("cutover-1"), S3BucketName: aws.String("lab-exports")})
	var inv *types.InvalidParameterValueException
	if !errors.As(err, &inv) || !strings.Contains(inv.ErrorMessage(), "already contains an object with key cutover-1/cutover-1-0001.rdb") {
		t.Fatalf("second export of the snapshot: %v", err)
	}
}

// records reads an RDB whose checksum must verify and returns its keys,
// values and expiries and its function libraries, sorted.
func records(t *testing.T, b []byte) []string {
	t.Helper()
	r, err := rdb.NewReader(bytes.NewReader(b))
	must(t, err)
	var out []string
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		must(t, err)
		switch e.Kind {
		case rdb.KeyEntry:
			out = append(out, fmt.Sprintf("key db%d %q type %d expire %d %x", e.DB, e.Key, e.Type, e.ExpireMS, e.Raw))
		case rdb.FunctionEntry:
			out = append(out, fmt.Sprintf("function %q", e.Value))
		}
	}
	if r.Checksum().Status != "verified" {
		t.Fatalf("checksum %+v", r.Checksum())
	}
	slices.Sort(out)
	return out
}

func TestServerlessSnapshotPaging(t *testing.T) {
	l := newServerlessLab(t, filepath.Join(labtest.RDBTestdata(t), "redis-7.2.6.rdb"), nil)
	ctx := ctxT(t)
	for i := range 3 {
		name := fmt.Sprintf("s%d", i)
		_, err := l.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("lab-cache"), ServerlessCacheSnapshotName: aws.String(name)})
		must(t, err)
		eventually(t, name+" available", func() bool { return l.serverlessStatus(t, name) == "available" })
	}
	var names []string
	pager := elasticache.NewDescribeServerlessCacheSnapshotsPaginator(l.ec, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheName: aws.String("lab-cache"), MaxResults: aws.Int32(2)})
	pages := 0
	for pager.HasMorePages() {
		out, err := pager.NextPage(ctx)
		must(t, err)
		pages++
		for _, sn := range out.ServerlessCacheSnapshots {
			names = append(names, aws.ToString(sn.ServerlessCacheSnapshotName))
		}
	}
	if pages != 2 || !slices.Equal(names, []string{"s0", "s1", "s2"}) {
		t.Fatalf("%d pages: %v", pages, names)
	}
	_, err := l.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{MaxResults: aws.Int32(51)})
	if !hasCode(err, "InvalidParameterValue") {
		t.Fatalf("MaxResults 51: %v", err)
	}
}

// hasCode reports whether err is an AWS error with this code.
func hasCode(err error, code string) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == code
}
