package probes

import (
	"context"
	"fmt"
	"net"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cutover/cutover/runbook"
)

// AWSConfig loads the SDK config through the normal credential chain
// (AWS_PROFILE, AWS_REGION, environment, shared files, instance roles),
// with the config's region and profile when set. The endpoint override is
// applied per client with BaseEndpoint (see AWSEndpoint): it exists for
// the lab and tests only.
func AWSConfig(ctx context.Context, c runbook.AWS) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	if c.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.Profile))
	}
	if loopbackEndpoint(c.Endpoint) {
		// The lab's stand-in on loopback checks no signature; real AWS is
		// never there. Static keys spare a rehearsal machine the chain's
		// instance-metadata probes.
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("lab", "lab", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS config: %v (check aws.profile / AWS_PROFILE and your credentials)", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, fmt.Errorf("AWS config: no region; set aws.region in the config or AWS_REGION")
	}
	return cfg, nil
}

func loopbackEndpoint(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// AWSEndpoint is the BaseEndpoint for SDK clients: nil (the real AWS
// endpoints) unless the config names one.
func AWSEndpoint(c runbook.AWS) *string {
	if c.Endpoint == "" {
		return nil
	}
	return aws.String(c.Endpoint)
}
