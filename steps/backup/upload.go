package backup

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// upload puts the file at s3://bucket/key with the SDK's transfer manager
// (multipart, parts in parallel) and checks the stored size.
func upload(ctx context.Context, cfg *runbook.Config, path, key string, report func(runbook.Progress)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	client, err := probes.NewS3(ctx, cfg.AWS)
	if err != nil {
		return err
	}
	up := manager.NewUploader(client, func(u *manager.Uploader) {
		u.PartSize = 16 << 20
		u.Concurrency = 4
	})
	body := &counting{r: f, total: st.Size(), report: report, msg: "uploading to s3://" + cfg.S3.Bucket + "/" + key}
	if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(cfg.S3.Bucket), Key: aws.String(key), Body: body,
		ContentType: aws.String("application/octet-stream")}); err != nil {
		return fmt.Errorf("upload to s3://%s/%s: %s", cfg.S3.Bucket, key, probes.ExplainAWS(err))
	}
	hctx, cancel := context.WithTimeout(ctx, probes.AWSTimeout)
	defer cancel()
	head, err := client.HeadObject(hctx, &s3.HeadObjectInput{Bucket: aws.String(cfg.S3.Bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("HeadObject s3://%s/%s after the upload: %s", cfg.S3.Bucket, key, probes.ExplainAWS(err))
	}
	if n := aws.ToInt64(head.ContentLength); n != st.Size() {
		return fmt.Errorf("s3://%s/%s holds %d bytes, not the %d uploaded", cfg.S3.Bucket, key, n, st.Size())
	}
	return nil
}

// objectSize reads an uploaded object's size, for Verify.
func objectSize(ctx context.Context, cfg *runbook.Config, bucket, key string) (int64, error) {
	client, err := probes.NewS3(ctx, cfg.AWS)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, probes.AWSTimeout)
	defer cancel()
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return 0, fmt.Errorf("HeadObject s3://%s/%s: %s", bucket, key, probes.ExplainAWS(err))
	}
	return aws.ToInt64(head.ContentLength), nil
}

// counting reports the bytes the uploader has read. The uploader reads
// from one goroutine; report is called from it.
type counting struct {
	r      io.Reader
	n      atomic.Int64
	total  int64
	report func(runbook.Progress)
	msg    string
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	done := c.n.Add(int64(n))
	c.report(runbook.Progress{Done: done, Total: c.total, Unit: "bytes", Message: c.msg})
	return n, err
}
