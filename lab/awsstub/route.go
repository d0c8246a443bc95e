package awsstub

import (
	"net/http"
	"strings"
)

// service names the AWS service a request is for. The SigV4 credential scope
// (".../REGION/SERVICE/aws4_request", in the Authorization header or a
// presigned URL's X-Amz-Credential) is authoritative; unsigned requests are
// told apart by protocol shape.
func service(r *http.Request) string {
	if svc := scopeService(r); svc != "" {
		return svc
	}
	switch {
	case strings.HasPrefix(r.URL.Path, route53Prefix):
		return "route53"
	case strings.HasPrefix(r.URL.Path, cloudWatchPrefix):
		return "monitoring"
	case r.Method == http.MethodPost && r.URL.Path == "/" &&
		strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		return "elasticache"
	}
	return "s3"
}

// scopeService extracts SERVICE from "Credential=AKID/DATE/REGION/SERVICE/aws4_request".
func scopeService(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); auth != "" {
		_, after, ok := strings.Cut(auth, "Credential=")
		if !ok {
			return ""
		}
		cred, _, _ = strings.Cut(after, ",")
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 || parts[4] != "aws4_request" {
		return ""
	}
	return parts[3]
}
