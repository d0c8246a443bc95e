package probes

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cutover/cutover/runbook"
)

// ElastiCache IAM authentication: the password is a SigV4-presigned
// "connect" request for the replication group (or serverless cache) and
// user, valid 15 minutes.
const (
	iamTokenLife  = 15 * time.Minute
	iamTokenReuse = 10 * time.Minute // renew well before it expires
	emptySHA256   = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// IAMToken builds an ElastiCache IAM auth token for the source ep (its
// user, and its replication group or serverless cache), signed with creds
// in region at now. A serverless cache's token also carries
// ResourceType=ServerlessCache: without it ElastiCache looks for a
// replication group of that name and refuses the login.
func IAMToken(ctx context.Context, creds aws.Credentials, region string, ep runbook.Endpoint, now time.Time) (string, error) {
	resource := ep.ReplicationGroup
	q := url.Values{"Action": {"connect"}, "User": {ep.Username}, "X-Amz-Expires": {fmt.Sprint(int(iamTokenLife.Seconds()))}}
	if ep.Serverless() {
		resource = ep.ServerlessCache
		q.Set("ResourceType", "ServerlessCache")
	}
	req, err := http.NewRequest(http.MethodGet, "http://"+resource+"/?"+q.Encode(), nil)
	if err != nil {
		return "", fmt.Errorf("IAM token for %s: %v", resource, err)
	}
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, emptySHA256, "elasticache", region, now.UTC())
	if err != nil {
		return "", fmt.Errorf("IAM token for %s: %v", resource, err)
	}
	return strings.TrimPrefix(signed, "http://"), nil
}

// iamCredentials is a go-redis credentials provider that hands out a
// token, renewed every iamTokenReuse, from the normal AWS credential chain.
func iamCredentials(ep runbook.Endpoint) func(ctx context.Context) (string, string, error) {
	var (
		mu    sync.Mutex
		token string
		made  time.Time
	)
	return func(ctx context.Context) (string, string, error) {
		mu.Lock()
		defer mu.Unlock()
		if token != "" && time.Since(made) < iamTokenReuse {
			return ep.Username, token, nil
		}
		ctx, cancel := context.WithTimeout(ctx, AWSTimeout)
		defer cancel()
		cfg, err := AWSConfig(ctx, ep.AWS)
		if err != nil {
			return "", "", err
		}
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return "", "", fmt.Errorf("IAM auth for the source: no AWS credentials: %v (check AWS_PROFILE or aws.profile)", err)
		}
		t, err := IAMToken(ctx, creds, cfg.Region, ep, time.Now())
		if err != nil {
			return "", "", err
		}
		token, made = t, time.Now()
		return ep.Username, token, nil
	}
}
