package awsstub

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func (l *lab) snapshotStatus(t *testing.T, name string) string {
	t.Helper()
	out, err := l.ec.DescribeSnapshots(ctxT(t), &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String(name)})
	must(t, err)
	if len(out.Snapshots) != 1 {
		t.Fatalf("DescribeSnapshots(%s) gave %d snapshots", name, len(out.Snapshots))
	}
	return aws.ToString(out.Snapshots[0].SnapshotStatus)
}

func TestSnapshotExportToS3(t *testing.T) {
	l := newLab(t, nil)
	ctx := ctxT(t)
	created, err := l.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("lab-cache"), SnapshotName: aws.String("cutover-1")})
	must(t, err)
	if s := aws.ToString(created.Snapshot.SnapshotStatus); s != "creating" {
		t.Fatalf("new snapshot is %q", s)
	}
	if st := l.snapshotStatus(t, "cutover-1"); st != "creating" {
		t.Fatalf("right after CreateSnapshot: %q", st)
	}
	_, err = l.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("lab-cache"), SnapshotName: aws.String("cutover-2")})
	var busy *types.InvalidReplicationGroupStateFault
	if !errors.As(err, &busy) {
		t.Fatalf("second snapshot while one is creating: %v", err)
	}
	// Exporting before it is available is refused.
	_, err = l.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("cutover-1"), TargetSnapshotName: aws.String("early"), TargetBucket: aws.String("lab-exports")})
	var state *types.InvalidSnapshotStateFault
	if !errors.As(err, &state) {
		t.Fatalf("export while creating: %v", err)
	}
	eventually(t, "snapshot available", func() bool { return l.snapshotStatus(t, "cutover-1") == "available" })

	out, err := l.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{ReplicationGroupId: aws.String("lab-cache")})
	must(t, err)
	sn := out.Snapshots[0]
	if len(sn.NodeSnapshots) != 1 || aws.ToString(sn.NodeSnapshots[0].CacheSize) != "1 MB" || sn.NodeSnapshots[0].SnapshotCreateTime == nil {
		t.Fatalf("NodeSnapshots = %+v", sn.NodeSnapshots)
	}
	if aws.ToString(sn.CacheClusterId) != "lab-cache-002" {
		t.Errorf("a group snapshot is taken from the replica, not %q", aws.ToString(sn.CacheClusterId))
	}
	if aws.ToString(sn.SnapshotSource) != "manual" || aws.ToString(sn.EngineVersion) != "7.0.15" {
		t.Errorf("source %q version %q", aws.ToString(sn.SnapshotSource), aws.ToString(sn.EngineVersion))
	}

	// Refusals, with ElastiCache's messages.
	for bucket, msg := range map[string]string{
		"lab-missing": "The S3 bucket lab-missing does not exist.",
		"lab-eu":      "The S3 bucket lab-eu is outside of the region.",
		"lab-nogrant": "ElastiCache has not been granted READ permissions " + ElastiCacheCanonicalID,
	} {
		_, err := l.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("cutover-1"), TargetSnapshotName: aws.String("exp"), TargetBucket: aws.String(bucket)})
		var inv *types.InvalidParameterValueException
		if !errors.As(err, &inv) || !strings.Contains(inv.ErrorMessage(), msg) {
			t.Errorf("export to %s: %v", bucket, err)
		}
	}
	_, err = l.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("nope"), TargetSnapshotName: aws.String("exp"), TargetBucket: aws.String("lab-exports")})
	var nf *types.SnapshotNotFoundFault
	if !errors.As(err, &nf) {
		t.Fatalf("export of a missing snapshot: %v", err)
	}

	exp, err := l.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("cutover-1"), TargetSnapshotName: aws.String("cutover-1-export"), TargetBucket: aws.String("lab-exports")})
	must(t, err)
	if s := aws.ToString(exp.Snapshot.SnapshotStatus); s != "exporting" {
		t.Fatalf("export answered status %q", s)
	}
	eventually(t, "export finished", func() bool { return l.snapshotStatus(t, "cutover-1") == "available" })
	obj, err := l.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("lab-exports"), Key: aws.String("cutover-1-export-0001.rdb")})
	must(t, err)
	body, err := io.ReadAll(obj.Body)
	must(t, err)
	_ = obj.Body.Close()
	if !bytes.Equal(body, fakeRDB) {
		t.Fatalf("exported object is %q, want the snapshot's RDB", body)
	}
	_, err = l.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("cutover-1"), TargetSnapshotName: aws.String("cutover-1-export"), TargetBucket: aws.String("lab-exports")})
	var inv *types.InvalidParameterValueException
	if !errors.As(err, &inv) || !strings.Contains(inv.ErrorMessage(), "already contains an object with key cutover-1-export-0001.rdb") {
		t.Fatalf("second export under the same name: %v", err)
	}

	// A plain copy is a new snapshot that becomes available too.
	cp, err := l.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("cutover-1"), TargetSnapshotName: aws.String("cutover-1-copy")})
	must(t, err)
	if aws.ToString(cp.Snapshot.SnapshotName) != "cutover-1-copy" {
		t.Fatalf("copy answered %q", aws.ToString(cp.Snapshot.SnapshotName))
	}
	eventually(t, "copy available", func() bool { return l.snapshotStatus(t, "cutover-1-copy") == "available" })
}

func TestSnapshotErrorsAndFaults(t *testing.T) {
	var fail atomic.Bool
	l := newLab(t, func(c *Config) {
		c.Snapshot = func(ctx context.Context, w io.Writer) error {
			if fail.Load() {
				return errors.New("source refused")
			}
			_, err := w.Write(fakeRDB)
			return err
		}
	})
	ctx := ctxT(t)
	_, err := l.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String("nope")})
	var nf *types.SnapshotNotFoundFault
	if !errors.As(err, &nf) {
		t.Fatalf("describe missing snapshot: %v", err)
	}
	_, err = l.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("other"), SnapshotName: aws.String("s1")})
	var gnf *types.ReplicationGroupNotFoundFault
	if !errors.As(err, &gnf) {
		t.Fatalf("snapshot of a missing group: %v", err)
	}
	_, err = l.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("lab-cache"), SnapshotName: aws.String("bad--name")})
	var inv *types.InvalidParameterValueException
	if !errors.As(err, &inv) {
		t.Fatalf("bad snapshot name: %v", err)
	}
	one, err := l.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("lab-cache-001"), SnapshotName: aws.String("s1")})
	must(t, err)
	if aws.ToString(one.Snapshot.CacheClusterId) != "lab-cache-001" {
		t.Errorf("snapshot of a named cluster reports %q", aws.ToString(one.Snapshot.CacheClusterId))
	}
	eventually(t, "s1 available", func() bool { return l.snapshotStatus(t, "s1") == "available" })
	_, err = l.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("lab-cache"), SnapshotName: aws.String("s1")})
	var exists *types.SnapshotAlreadyExistsFault
	if !errors.As(err, &exists) {
		t.Fatalf("duplicate name: %v", err)
	}

	l.srv.Fail("CopySnapshot", APIError{Code: "InvalidParameterValue", Message: "injected"})
	_, err = l.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("s1"), TargetSnapshotName: aws.String("x"), TargetBucket: aws.String("lab-exports")})
	if !errors.As(err, &inv) || inv.ErrorMessage() != "injected" {
		t.Fatalf("injected CopySnapshot fault: %v", err)
	}
	_, err = l.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("s1"), TargetSnapshotName: aws.String("x"), TargetBucket: aws.String("lab-exports")})
	must(t, err) // the fault was for one call only

	fail.Store(true)
	_, err = l.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("lab-cache"), SnapshotName: aws.String("s2")})
	must(t, err)
	eventually(t, "s2 failed", func() bool { return l.snapshotStatus(t, "s2") == "failed" })
	_, err = l.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("s2"), TargetSnapshotName: aws.String("s2-export"), TargetBucket: aws.String("lab-exports")})
	var state *types.InvalidSnapshotStateFault
	if !errors.As(err, &state) {
		t.Fatalf("export of a failed snapshot: %v", err)
	}
}
