package probes

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cutover/cutover/runbook"
)

// backupMaxAge is how old the last save and the last backup object may be.
const backupMaxAge = 24 * time.Hour

var backupCheck = check{
	summary: "A save succeeded on the target within 24 h, and the bucket holds a backup object newer than 24 h.",
	calls: func(cfg *runbook.Config) []string {
		return []string{"INFO persistence on " + cfg.Target.URL,
			fmt.Sprintf("S3 ListObjectsV2 s3://%s/%s", cfg.S3.Bucket, cfg.S3.Prefix)}
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		now := time.Now()
		c := targetClient(cfg, "check")
		defer c.Close()
		in, err := infoOf(ctx, c, "persistence")
		if err != nil {
			p.fail("INFO persistence", err, "an answer")
		} else {
			last := time.Unix(in.RDBLastSaveTime, 0)
			p.row("last save", fmt.Sprintf("%s (%s ago)", last.UTC().Format(time.DateTime), ago(now.Sub(last))), "within 24 h", now.Sub(last) <= backupMaxAge)
			p.row("saves since the server started", in.Raw["rdb_saves"], "at least 1", atoi(in.Raw["rdb_saves"]) > 0)
			p.row("rdb_last_bgsave_status", in.RDBLastBgsaveStatus, "ok", in.RDBLastBgsaveStatus == "ok")
		}
		if cfg.S3.Bucket == "" {
			p.row("s3.bucket", "not set", "the backup bucket", false)
			return p.done("")
		}
		p.newestObject(ctx, cfg, now)
		return p.done("a recent save on the target and a recent backup object in the bucket")
	},
}

// newestObject records the newest object under s3.bucket/s3.prefix.
func (p *proof) newestObject(ctx context.Context, cfg *runbook.Config, now time.Time) {
	name := fmt.Sprintf("newest object in s3://%s/%s", cfg.S3.Bucket, cfg.S3.Prefix)
	awsCfg, err := AWSConfig(ctx, cfg.AWS)
	if err != nil {
		p.row(name, err.Error(), "within 24 h", false)
		return
	}
	client := S3Client(awsCfg, cfg.AWS)
	ctx, cancel := context.WithTimeout(ctx, AWSTimeout)
	defer cancel()
	var newest time.Time
	key := ""
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(cfg.S3.Bucket), Prefix: aws.String(cfg.S3.Prefix)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			p.row(name, ExplainAWS(err), "within 24 h", false)
			return
		}
		for _, o := range out.Contents {
			if t := aws.ToTime(o.LastModified); t.After(newest) {
				newest, key = t, aws.ToString(o.Key)
			}
		}
	}
	if key == "" {
		p.row(name, "none", "within 24 h", false)
		return
	}
	p.row(name, fmt.Sprintf("%s (%s ago)", key, ago(now.Sub(newest))), "within 24 h", now.Sub(newest) <= backupMaxAge)
}

// ago renders a duration coarsely: 45s, 12m, 3h, 2d.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
