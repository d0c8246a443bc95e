package awsstub_test

import (
	"context"
	"fmt"
	"io"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/zone"
)

// The real SDK clients reach the stand-in through BaseEndpoint (or
// AWS_ENDPOINT_URL) and any static credentials; S3 needs path-style
// addressing and checksums "when required".
func Example() {
	zones := zone.NewStore()
	if err := zones.AddZone("Z0LAB", "lab.internal"); err != nil {
		log.Fatal(err)
	}
	srv, err := awsstub.Start(awsstub.Config{
		ReplicationGroupID: "lab-cache",
		PrimaryEndpoint:    "source.lab.internal:6379",
		Snapshot:           func(ctx context.Context, w io.Writer) error { return nil }, // the lab writes the source's real RDB here
		Info:               func(ctx context.Context) (string, error) { return "role:master\r\n", nil },
		Zones:              zones,
		Buckets:            map[string]string{"lab-exports": "us-east-1"},
		GrantedBuckets:     []string{"lab-exports"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	cfg := aws.Config{
		Region:                     "us-east-1",
		Credentials:                credentials.NewStaticCredentialsProvider("AKIDLAB", "lab-secret", ""),
		BaseEndpoint:               aws.String(srv.URL()),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	ec := elasticache.NewFromConfig(cfg)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })

	ctx := context.Background()
	rg, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("lab-cache")})
	if err != nil {
		log.Fatal(err)
	}
	ep := rg.ReplicationGroups[0].NodeGroups[0].PrimaryEndpoint
	fmt.Printf("primary %s:%d\n", aws.ToString(ep.Address), aws.ToInt32(ep.Port))
	loc, err := s3c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("lab-exports")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("bucket region %q\n", loc.LocationConstraint)
	// Output:
	// primary source.lab.internal:6379
	// bucket region ""
}
