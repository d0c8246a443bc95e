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

func TestIAMTokenIsAPresignedConnect(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	at := time.Date(2026, 11, 25, 2, 14, 5, 0, time.UTC)
	tok, err := IAMToken(context.Background(), creds, "eu-west-1", "cache-prod", "app-user", at)
	if err != nil {
		t.Fatal(err)
	}
	host, query, ok := strings.Cut(tok, "/?")
	if !ok || host != "cache-prod" {
		t.Fatalf("token %q does not start with the replication group", tok)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"Action": "connect", "User": "app-user", "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
		"X-Amz-Credential": "AKIDEXAMPLE/20261125/eu-west-1/elasticache/aws4_request",
		"X-Amz-Date":       "20261125T021405Z", "X-Amz-Expires": "900", "X-Amz-SignedHeaders": "host",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(q.Get("X-Amz-Signature")) {
		t.Errorf("signature %q", q.Get("X-Amz-Signature"))
	}
	again, _ := IAMToken(context.Background(), creds, "eu-west-1", "cache-prod", "app-user", at)
	later, _ := IAMToken(context.Background(), creds, "eu-west-1", "cache-prod", "app-user", at.Add(time.Second))
	if again != tok || later == tok {
		t.Error("the token is not a function of its inputs and time")
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
