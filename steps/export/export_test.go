package export

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/internal/replication"
	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/zone"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/snapshot"
)

const exportPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Principal":{"Service":"ap-east-1.elasticache-snapshot.amazonaws.com"},
 "Action":["s3:PutObject","s3:GetObject","s3:ListBucket","s3:GetBucketAcl","s3:ListMultipartUploadParts","s3:ListBucketMultipartUploads"],
 "Resource":["arn:aws:s3:::optin-ok","arn:aws:s3:::optin-ok/*"]}]}`

// world is a source, the AWS stand-in in region and a taken snapshot.
type world struct {
	stub *awsstub.Server
	env  *runbook.Env
}

func newWorld(t *testing.T, region, bucket string) *world {
	t.Helper()
	return newWorldOf(t, region, bucket, "")
}

// newWorldOf is newWorld with the source an ElastiCache Serverless cache
// when shape is "serverless", its exports split in 3 RDB objects, or a
// cluster-mode group of 3 shards (each snapshot of the one source) when
// it is "cluster".
func newWorldOf(t *testing.T, region, bucket, shape string) *world {
	t.Helper()
	labtest.AWSEnv(t)
	src := labtest.Redis(t, labtest.WithPassword("src-pw"))
	c := redis.NewClient(&redis.Options{Addr: src.Addr(), Password: src.Password})
	for i := range 50 {
		c.Set(context.Background(), fmt.Sprint("k", i), "v", 0)
	}
	c.Close()
	ac := awsstub.Config{
		Region: region, ReplicationGroupID: "lab-cache", PrimaryEndpoint: src.Addr(),
		Snapshot: func(ctx context.Context, w io.Writer) error {
			_, err := replication.Replicate(ctx, src.Addr(), src.Password, w, nil)
			return err
		},
		Info:  func(context.Context) (string, error) { return "# Server\r\nredis_version:7.0.15\r\n", nil },
		Zones: zone.NewStore(),
		Buckets: map[string]string{"lab-backups": region, "far-away": "eu-west-1", "no-grant": region,
			"optin-ok": "ap-east-1", "optin-bare": "ap-east-1"},
		GrantedBuckets: []string{"lab-backups", "far-away"},
		BucketPolicies: map[string]string{"optin-ok": exportPolicy},
		SnapshotDelay:  300 * time.Millisecond,
	}
	ep := runbook.Endpoint{Kind: "elasticache", URL: "redis://" + src.Addr(), ReplicationGroup: "lab-cache"}
	switch shape {
	case "cluster":
		ac.PrimaryEndpoint, ac.ConfigurationEndpoint = "", src.Addr()
		for _, slots := range []string{"0-5460", "5461-10922", "10923-16383"} {
			ac.Shards = append(ac.Shards, awsstub.Shard{Slots: slots, Nodes: []string{src.Addr()}, Snapshot: ac.Snapshot})
		}
		ac.Snapshot = nil
	case "serverless":
		ac.ReplicationGroupID, ac.PrimaryEndpoint = "", ""
		ac.Serverless = &awsstub.Serverless{Name: "lab-cache", Endpoint: src.Addr(), ExportParts: 3}
		ep = runbook.Endpoint{Kind: runbook.KindServerless, URL: "rediss://" + src.Addr(), ServerlessCache: "lab-cache"}
	}
	stub, err := awsstub.Start(ac)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stub.Close() })
	dir := t.TempDir()
	cfg := &runbook.Config{Dir: dir, Journal: filepath.Join(dir, "cutover.journal"),
		Source: ep,
		AWS:    runbook.AWS{Region: region, Endpoint: stub.URL()},
		S3:     runbook.S3{Bucket: bucket}}
	st := runbook.NewState(runbook.New(), ep.Kind, "sentinel")
	env := &runbook.Env{Config: cfg, State: &st, Operator: "alice", Log: t.Logf}
	res, err := (&snapshot.Executor{Poll: 50 * time.Millisecond}).Run(context.Background(), env, func(runbook.Progress) {})
	if err != nil || !res.OK {
		t.Fatalf("snapshot: %+v %v", res, err)
	}
	st.Facts.Record(snapshot.StepID, res.Outputs)
	return &world{stub: stub, env: env}
}

func run(t *testing.T, env *runbook.Env) (runbook.Result, error) {
	t.Helper()
	return (&Executor{Poll: 50 * time.Millisecond}).Run(context.Background(), env, func(runbook.Progress) {})
}

func TestExportToGrantedBucket(t *testing.T) {
	w := newWorld(t, "us-east-1", "lab-backups")
	p, err := (&Executor{}).Plan(context.Background(), w.env)
	name := w.env.State.Facts[runbook.SnapshotName]
	if err != nil || p.Resource != "lab-backups" || !strings.Contains(strings.Join(p.Calls, "\n"), "CopySnapshot SourceSnapshotName="+name) {
		t.Fatalf("plan %+v, %v", p, err)
	}
	res, err := run(t, w.env)
	if err != nil || !res.OK {
		t.Fatalf("export: %+v, %v", res, err)
	}
	if res.Outputs["keys"] != name+"-0001.rdb" || res.Outputs["bucket"] != "lab-backups" {
		t.Fatalf("outputs %v", res.Outputs)
	}
	// A re-run finds the object and does not export again (a second
	// CopySnapshot to the same key would be refused).
	res, err = run(t, w.env)
	if err != nil || !res.OK {
		t.Fatalf("re-run: %+v, %v", res, err)
	}
	v, err := (&Executor{}).Verify(context.Background(), w.env)
	if err != nil || !v.OK {
		t.Fatalf("verify: %+v, %v", v, err)
	}
}

// Each failed preflight names what to add, and nothing is exported.
func TestExportPreflightFailures(t *testing.T) {
	w := newWorld(t, "us-east-1", "lab-backups")
	for _, tc := range []struct{ bucket, want string }{
		{"far-away", "us-east-1 (aws.region"},
		{"no-grant", "canonical ID " + CanonicalID},
		{"missing-bucket", "create s3://missing-bucket in us-east-1"},
	} {
		w.env.Config.S3.Bucket = tc.bucket
		res, err := run(t, w.env)
		if err != nil || res.OK || !strings.Contains(res.Summary, tc.want) || !strings.Contains(res.Summary, "nothing was exported") {
			t.Fatalf("%s: want a failed preflight naming %q, got %+v, %v", tc.bucket, tc.want, res, err)
		}
	}
	w.env.Config.S3.Bucket = "lab-backups"
	w.stub.Fail("ListBuckets", awsstub.APIError{Status: 403, Code: "AccessDenied", Message: "Access Denied"})
	res, err := run(t, w.env)
	if err != nil || res.OK || !strings.Contains(res.Summary, "s3:ListAllMyBuckets") {
		t.Fatalf("ListBuckets denied: %+v, %v", res, err)
	}
	v, err := (&Executor{}).Verify(context.Background(), w.env)
	if err != nil || v.OK || !strings.Contains(v.Summary, "missing") {
		t.Fatalf("verify before any export: %+v, %v", v, err)
	}
}

func TestExportOptInRegionNeedsPolicy(t *testing.T) {
	w := newWorld(t, "ap-east-1", "optin-bare")
	res, err := run(t, w.env)
	if err != nil || res.OK || !strings.Contains(res.Summary, "ap-east-1.elasticache-snapshot.amazonaws.com") || !strings.Contains(res.Summary, "s3:ListBucketMultipartUploads") {
		t.Fatalf("bucket without policy: %+v, %v", res, err)
	}
	w.env.Config.S3.Bucket = "optin-ok"
	if res, err = run(t, w.env); err != nil || !res.OK {
		t.Fatalf("bucket with policy: %+v, %v", res, err)
	}
}

func TestMissingPolicyParsing(t *testing.T) {
	if m := missingPolicy(exportPolicy, "ap-east-1"); len(m) != 0 {
		t.Fatalf("complete policy: missing %v", m)
	}
	if m := missingPolicy(exportPolicy, "me-south-1"); len(m) != len(policyActions) {
		t.Fatalf("another region's principal must not count: missing %v", m)
	}
	star := `{"Statement":{"Effect":"Allow","Principal":{"Service":["x","ap-east-1.elasticache-snapshot.amazonaws.com"]},"Action":"s3:*"}}`
	if m := missingPolicy(star, "ap-east-1"); len(m) != 0 {
		t.Fatalf("a single statement allowing s3:* to the principal: missing %v", m)
	}
	list := `{"Statement":[{"Effect":"Allow","Principal":{"Service":["x","ap-east-1.elasticache-snapshot.amazonaws.com"]},"Action":"s3:*"}]}`
	if m := missingPolicy(list, "ap-east-1"); len(m) != 0 {
		t.Fatalf("s3:* for the principal: missing %v", m)
	}
	deny := strings.Replace(list, "Allow", "Deny", 1)
	if m := missingPolicy(deny, "ap-east-1"); len(m) == 0 {
		t.Fatal("a Deny statement granted access")
	}
}

// A serverless export writes several objects under the snapshot's name:
// every one is found by listing, and a re-run exports nothing again.
func TestExportServerless(t *testing.T) {
	w := newWorldOf(t, "us-east-1", "lab-backups", "serverless")
	name := w.env.State.Facts[runbook.SnapshotName]
	p, err := (&Executor{}).Plan(context.Background(), w.env)
	if err != nil || !strings.Contains(strings.Join(p.Calls, "\n"), "ExportServerlessCacheSnapshot ServerlessCacheSnapshotName="+name+" S3BucketName=lab-backups") {
		t.Fatalf("plan %+v, %v", p, err)
	}
	if v, err := (&Executor{}).Verify(context.Background(), w.env); err != nil || v.OK || !strings.Contains(v.Summary, "not exported yet") {
		t.Fatalf("verify before any export: %+v, %v", v, err)
	}
	res, err := run(t, w.env)
	if err != nil || !res.OK {
		t.Fatalf("export: %+v, %v", res, err)
	}
	want := fmt.Sprintf("%[1]s/%[1]s-0001.rdb,%[1]s/%[1]s-0002.rdb,%[1]s/%[1]s-0003.rdb", name)
	if res.Outputs["keys"] != want || res.Outputs["bucket"] != "lab-backups" || !strings.Contains(res.Summary, "3 object(s)") {
		t.Fatalf("outputs %v, summary %q", res.Outputs, res.Summary)
	}
	// A second ExportServerlessCacheSnapshot would be refused: the objects exist.
	if res, err = run(t, w.env); err != nil || !res.OK || res.Outputs["keys"] != want {
		t.Fatalf("re-run: %+v, %v", res, err)
	}
	if v, err := (&Executor{}).Verify(context.Background(), w.env); err != nil || !v.OK || v.Outputs["keys"] != want {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	// The same preflight as a node-based export.
	w.env.Config.S3.Bucket = "no-grant"
	if res, err = run(t, w.env); err != nil || res.OK || !strings.Contains(res.Summary, "canonical ID "+CanonicalID) {
		t.Fatalf("no grant: %+v, %v", res, err)
	}
}

func TestExportKey(t *testing.T) {
	for key, want := range map[string]bool{
		"snap/snap-0001.rdb": true, "snap/part.rdb": true, "snap-0002.rdb": true, "snap.rdb": true,
		"snap/.rdb": false, "snap/notes.txt": false, "snap-10/x.rdb": false, "snapper.rdb": false, "snap-extra.rdb": false,
	} {
		if got := exportKey("snap", key); got != want {
			t.Errorf("exportKey(snap, %q) = %v", key, got)
		}
	}
}

// A cluster-mode snapshot is exported as one object per shard, all waited
// for.
func TestExportClusterShards(t *testing.T) {
	w := newWorldOf(t, "us-east-1", "lab-backups", "cluster")
	name := w.env.State.Facts[runbook.SnapshotName]
	p, err := (&Executor{}).Plan(context.Background(), w.env)
	if err != nil || !strings.Contains(p.Summary, "wait for 3 object(s)") {
		t.Fatalf("plan %+v, %v", p, err)
	}
	res, err := run(t, w.env)
	if err != nil || !res.OK {
		t.Fatalf("export: %+v, %v", res, err)
	}
	if want := fmt.Sprintf("%[1]s-0001.rdb,%[1]s-0002.rdb,%[1]s-0003.rdb", name); res.Outputs["keys"] != want {
		t.Fatalf("keys %q, want %q", res.Outputs["keys"], want)
	}
}
