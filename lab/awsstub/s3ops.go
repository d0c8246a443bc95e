package awsstub

import (
	"net/http"
	"net/url"
	"strings"
)

// s3Unsupported are S3 subresources neither gofakes3 nor the wrapper serve;
// without this check gofakes3 would treat e.g. "PUT /bucket?policy" as
// CreateBucket.
var s3Unsupported = []string{
	"accelerate", "analytics", "attributes", "cors", "encryption", "intelligent-tiering",
	"inventory", "legal-hold", "lifecycle", "logging", "metrics", "notification", "object-lock",
	"ownershipControls", "policyStatus", "publicAccessBlock", "replication", "requestPayment",
	"restore", "retention", "select", "tagging", "torrent", "website",
}

// splitS3Path splits a path-style URL path into bucket and key.
func splitS3Path(p string) (bucket, key string) {
	bucket, key, _ = strings.Cut(strings.TrimPrefix(p, "/"), "/")
	return bucket, key
}

// s3Operation names the S3 API operation of a path-style request as the SDK
// spells it, or "" when the stand-in does not serve it.
func s3Operation(r *http.Request) string {
	q := r.URL.Query()
	has := func(k string) bool { _, ok := q[k]; return ok }
	bucket, key := splitS3Path(r.URL.Path)
	m := r.Method
	pick := func(byMethod map[string]string) string { return byMethod[m] }
	switch {
	case bucket == "":
		return pick(map[string]string{"GET": "ListBuckets"})
	case key == "":
		switch {
		case has("location"):
			return pick(map[string]string{"GET": "GetBucketLocation"})
		case has("acl"):
			return pick(map[string]string{"GET": "GetBucketAcl"})
		case has("policy"):
			return pick(map[string]string{"GET": "GetBucketPolicy"})
		case has("versioning"):
			return pick(map[string]string{"GET": "GetBucketVersioning", "PUT": "PutBucketVersioning"})
		case has("versions"):
			return pick(map[string]string{"GET": "ListObjectVersions"})
		case has("uploads"):
			return pick(map[string]string{"GET": "ListMultipartUploads"})
		case has("delete"):
			return pick(map[string]string{"POST": "DeleteObjects"})
		case hasAny(q, s3Unsupported):
			return ""
		case q.Get("list-type") == "2":
			return pick(map[string]string{"GET": "ListObjectsV2"})
		}
		return pick(map[string]string{"GET": "ListObjects", "HEAD": "HeadBucket", "PUT": "CreateBucket", "DELETE": "DeleteBucket"})
	}
	switch {
	case has("uploads"):
		return pick(map[string]string{"POST": "CreateMultipartUpload"})
	case has("uploadId"):
		if m == "PUT" && r.Header.Get("X-Amz-Copy-Source") != "" {
			return "" // UploadPartCopy
		}
		return pick(map[string]string{"PUT": "UploadPart", "GET": "ListParts", "POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload"})
	case has("acl") || has("policy") || hasAny(q, s3Unsupported):
		return ""
	case m == "PUT" && r.Header.Get("X-Amz-Copy-Source") != "":
		return "CopyObject"
	}
	return pick(map[string]string{"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject", "DELETE": "DeleteObject"})
}

func hasAny(q url.Values, keys []string) bool {
	for _, k := range keys {
		if _, ok := q[k]; ok {
			return true
		}
	}
	return false
}
