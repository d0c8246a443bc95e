package awsstub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestS3ExportPreflightReads(t *testing.T) {
	l := newLab(t, func(c *Config) {
		c.BucketPolicies = map[string]string{"lab-eu": `{"Statement":[{"Effect":"Allow","Principal":{"Service":"eu-west-1.elasticache-snapshot.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::lab-eu/*"}]}`}
	})
	ctx := ctxT(t)
	for bucket, want := range map[string]s3types.BucketLocationConstraint{"lab-exports": "", "lab-eu": "eu-west-1"} {
		loc, err := l.s3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
		must(t, err)
		if loc.LocationConstraint != want {
			t.Errorf("%s location %q, want %q", bucket, loc.LocationConstraint, want)
		}
	}
	grants := func(bucket string) []string {
		acl, err := l.s3.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
		must(t, err)
		var perms []string
		for _, g := range acl.Grants {
			if g.Grantee.Type != s3types.TypeCanonicalUser {
				t.Errorf("grantee type %q", g.Grantee.Type)
			}
			if aws.ToString(g.Grantee.ID) == ElastiCacheCanonicalID {
				perms = append(perms, string(g.Permission))
			}
		}
		return perms
	}
	if got := grants("lab-exports"); !slices.Equal(got, []string{"READ", "WRITE", "READ_ACP"}) {
		t.Errorf("lab-exports grants ElastiCache %v", got)
	}
	if got := grants("lab-nogrant"); len(got) != 0 {
		t.Errorf("lab-nogrant grants ElastiCache %v", got)
	}
	pol, err := l.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("lab-eu")})
	must(t, err)
	if !strings.Contains(aws.ToString(pol.Policy), "elasticache-snapshot.amazonaws.com") {
		t.Errorf("policy = %q", aws.ToString(pol.Policy))
	}
	_, err = l.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("lab-exports")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "NoSuchBucketPolicy" {
		t.Fatalf("bucket without policy: %v", err)
	}
	_, err = l.s3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("lab-missing")})
	if !errors.As(err, &api) || api.ErrorCode() != "NoSuchBucket" {
		t.Fatalf("location of a missing bucket: %v", err)
	}
	list, err := l.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	must(t, err)
	if len(list.Buckets) != 3 {
		t.Errorf("ListBuckets gave %d buckets", len(list.Buckets))
	}
	_, err = l.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lab-new"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "ap-southeast-2"}})
	must(t, err)
	loc, err := l.s3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("lab-new")})
	must(t, err)
	if loc.LocationConstraint != "ap-southeast-2" {
		t.Errorf("new bucket location %q", loc.LocationConstraint)
	}
	_, err = l.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("lab-new"), Policy: aws.String("{}")})
	if !errors.As(err, &api) || api.ErrorCode() != "NotImplemented" {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
}

func TestS3ObjectsMultipartAndRangedDownload(t *testing.T) {
	l := newLab(t, nil)
	ctx := ctxT(t)
	data := make([]byte, 20<<20+12345)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	up := manager.NewUploader(l.s3, func(u *manager.Uploader) { u.PartSize = 5 << 20; u.Concurrency = 3 })
	res, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String("lab-exports"), Key: aws.String("big/dump.rdb"), Body: bytes.NewReader(data)})
	must(t, err)
	if res.UploadID == "" || len(res.CompletedParts) != 5 {
		t.Fatalf("upload was not multipart: id %q, %d parts", res.UploadID, len(res.CompletedParts))
	}
	head, err := l.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("lab-exports"), Key: aws.String("big/dump.rdb")})
	must(t, err)
	if aws.ToInt64(head.ContentLength) != int64(len(data)) {
		t.Fatalf("HeadObject size %d, want %d", aws.ToInt64(head.ContentLength), len(data))
	}
	var ranges int
	down := manager.NewDownloader(l.s3, func(d *manager.Downloader) {
		d.PartSize, d.Concurrency = 4<<20, 4
		d.ClientOptions = append(d.ClientOptions, func(o *s3.Options) {
			o.APIOptions = append(o.APIOptions, countRanges(&ranges))
		})
	})
	buf := manager.NewWriteAtBuffer(make([]byte, 0, len(data)))
	n, err := down.Download(ctx, buf, &s3.GetObjectInput{Bucket: aws.String("lab-exports"), Key: aws.String("big/dump.rdb")})
	must(t, err)
	if n != int64(len(data)) || sha256.Sum256(buf.Bytes()) != sha256.Sum256(data) {
		t.Fatalf("downloaded %d bytes that differ from the upload", n)
	}
	if ranges < 6 {
		t.Fatalf("download used %d ranged GETs, want one per 4 MiB part", ranges)
	}

	_, err = l.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("lab-exports"), Key: aws.String("nope.rdb")})
	var nsk *s3types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Fatalf("missing key: %v", err)
	}
	_, err = l.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("lab-missing")})
	var nsb *s3types.NoSuchBucket
	if !errors.As(err, &nsb) {
		t.Fatalf("missing bucket: %v", err)
	}
	l.srv.Fail("GetObject", APIError{Status: http.StatusServiceUnavailable, Code: "SlowDown", Message: "injected"})
	_, err = l.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("lab-exports"), Key: aws.String("big/dump.rdb")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "SlowDown" {
		t.Fatalf("injected GetObject fault: %v", err)
	}
}

var countMu sync.Mutex

// countRanges counts requests that carry a Range header.
func countRanges(n *int) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("countRanges",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok && req.Header.Get("Range") != "" {
					countMu.Lock()
					*n++
					countMu.Unlock()
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}
