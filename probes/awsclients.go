package probes

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cutover/cutover/runbook"
)

// NewS3 loads the AWS config (see AWSConfig) and returns S3Client for it.
func NewS3(ctx context.Context, c runbook.AWS) (*s3.Client, error) {
	ac, err := AWSConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	return S3Client(ac, c), nil
}

// NewElastiCache loads the AWS config (see AWSConfig) and returns an
// ElastiCache client for it.
func NewElastiCache(ctx context.Context, c runbook.AWS) (*elasticache.Client, error) {
	ac, err := AWSConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	return elastiCache(ac, c), nil
}

// S3Client is an S3 client for the config: path-style addressing and
// checksums only when required when an endpoint is set (S3-compatible
// stores and the lab's stand-in).
func S3Client(awsCfg aws.Config, c runbook.AWS) *s3.Client {
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.BaseEndpoint = AWSEndpoint(c)
		if c.Endpoint != "" {
			o.UsePathStyle = true
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
}

func elastiCache(awsCfg aws.Config, c runbook.AWS) *elasticache.Client {
	return elasticache.NewFromConfig(awsCfg, func(o *elasticache.Options) { o.BaseEndpoint = AWSEndpoint(c) })
}
