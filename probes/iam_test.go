package probes

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/runbook"
)

// The token is a presigned connect for the replication group, or for the
// serverless cache with ResourceType=ServerlessCache.
func TestIAMTokenIsAPresignedConnect(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	at := time.Date(2026, 11, 25, 2, 14, 5, 0, time.UTC)
	for _, c := range []struct {
		name         string
		ep           runbook.Endpoint
		host         string
		resourceType string // "" means the parameter is absent
	}{
		{"replication group", runbook.Endpoint{Kind: runbook.KindElastiCache, ReplicationGroup: "cache-prod", Username: "app-user"}, "cache-prod", ""},
		{"serverless cache", runbook.Endpoint{Kind: runbook.KindServerless, ServerlessCache: "sessions", Username: "app-user"}, "sessions", "ServerlessCache"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok, err := IAMToken(context.Background(), creds, "eu-west-1", c.ep, at)
			if err != nil {
				t.Fatal(err)
			}
			host, query, ok := strings.Cut(tok, "/?")
			if !ok || host != c.host {
				t.Fatalf("token %q does not start with %s", tok, c.host)
			}
			q, err := url.ParseQuery(query)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range map[string]string{
				"Action": "connect", "User": "app-user", "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
				"X-Amz-Credential": "AKIDEXAMPLE/20261125/eu-west-1/elasticache/aws4_request",
				"X-Amz-Date":       "20261125T021405Z", "X-Amz-Expires": "900", "X-Amz-SignedHeaders": "host",
				"ResourceType": c.resourceType,
			} {
				if got := q.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if _, has := q["ResourceType"]; has != (c.resourceType != "") {
				t.Errorf("ResourceType present = %v", has)
			}
			if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(q.Get("X-Amz-Signature")) {
				t.Errorf("signature %q", q.Get("X-Amz-Signature"))
			}
			again, _ := IAMToken(context.Background(), creds, "eu-west-1", c.ep, at)
			later, _ := IAMToken(context.Background(), creds, "eu-west-1", c.ep, at.Add(time.Second))
			if again != tok || later == tok {
				t.Error("the token is not a function of its inputs and time")
			}
		})
	}
	// The resource type is signed: a token without it is another token.
	rg, _ := IAMToken(context.Background(), creds, "eu-west-1", runbook.Endpoint{Kind: runbook.KindElastiCache, ReplicationGroup: "sessions", Username: "app-user"}, at)
	sl, _ := IAMToken(context.Background(), creds, "eu-west-1", runbook.Endpoint{Kind: runbook.KindServerless, ServerlessCache: "sessions", Username: "app-user"}, at)
	if sig := func(tok string) string {
		q, _ := url.ParseQuery(tok[strings.Index(tok, "?")+1:])
		return q.Get("X-Amz-Signature")
	}; sig(rg) == sig(sl) {
		t.Error("the serverless token's signature does not cover ResourceType")
	}
}

// A client of an IAM source authenticates as the user with a fresh token
// (the server here accepts any password for that user: it is the wiring
// that is under test, since only ElastiCache checks the signature).
func TestIAMClientAuthenticatesAsTheUser(t *testing.T) {
	srv := labtest.Redis(t, labtest.WithPassword("default-only"), labtest.WithConfig("user app-user on nopass ~* &* +@all"))
	ep := runbook.Endpoint{Kind: "elasticache", URL: "redis://" + srv.Addr(), Username: "app-user", IAM: true,
		ReplicationGroup: "cache-prod", AWS: runbook.AWS{Region: "us-east-1", Endpoint: "http://127.0.0.1:1"}}
	c := Client(ep, "iam-test")
	defer c.Close()
	who, err := c.Do(context.Background(), "ACL", "WHOAMI").Text()
	if err != nil || who != "app-user" {
		t.Fatalf("ACL WHOAMI = %q, %v", who, err)
	}
}
