package probes

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/cutover/cutover/runbook"
)

// s3At serves an in-memory S3 whose clock reads now+skew, with one bucket.
func s3At(t *testing.T, skew time.Duration, bucket string) string {
	t.Helper()
	clock := gofakes3.FixedTimeSource(time.Now().Add(skew))
	f := gofakes3.New(s3mem.New(s3mem.WithTimeSource(clock)), gofakes3.WithTimeSource(clock), gofakes3.WithTimeSkewLimit(0))
	srv := httptest.NewServer(f.Server())
	t.Cleanup(srv.Close)
	ac := runbook.AWS{Region: "us-east-1", Endpoint: srv.URL}
	awsCfg, err := AWSConfig(context.Background(), ac)
	if err != nil {
		t.Fatal(err)
	}
	c := S3Client(awsCfg, ac)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("cutover/dump-1.rdb"),
		Body: strings.NewReader("REDIS0010")}); err != nil {
		t.Fatal(err)
	}
	return srv.URL
}

func TestBackup(t *testing.T) {
	t.Parallel()
	r := redisPW(t, "pw", "save 900 1")
	c := Client(target(r.Addr(), "pw"), "test")
	defer c.Close()
	ctx := context.Background()
	cfg := labConfig(source(r.Addr(), "pw"), target(r.Addr(), "pw"))
	cfg.S3 = runbook.S3{Bucket: "backups", Prefix: "cutover/"}
	cfg.AWS = runbook.AWS{Region: "us-east-1", Endpoint: s3At(t, 0, "backups")}

	res := runCheck(t, "build.backup", envFor(cfg, nil))
	wantResult(t, res, false, "saves since the server started: 0 (want at least 1)")
	wantContains(t, evidence(t, res, "newest object in s3://backups/cutover/").Value, "cutover/dump-1.rdb (0s ago)")

	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	res = runCheck(t, "build.backup", envFor(cfg, nil))
	wantResult(t, res, true, "a recent save on the target and a recent backup object")

	cfg.AWS.Endpoint = s3At(t, -30*time.Hour, "backups")
	res = runCheck(t, "build.backup", envFor(cfg, nil))
	wantResult(t, res, false, "cutover/dump-1.rdb (30h ago) (want within 24 h)")

	cfg.S3.Prefix = "nothing-here/"
	res = runCheck(t, "build.backup", envFor(cfg, nil))
	wantResult(t, res, false, "newest object in s3://backups/nothing-here/: none")

	cfg.S3.Bucket = "missing"
	res = runCheck(t, "build.backup", envFor(cfg, nil))
	wantResult(t, res, false, "NoSuchBucket")
}
