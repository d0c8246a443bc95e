package awsstub

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

const s3XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"

// s3Service is gofakes3 (s3mem backend, path style) plus the bucket
// metadata gofakes3 lacks: region, ACL grant to ElastiCache, policy.
type s3Service struct {
	backend *s3mem.Backend
	fake    http.Handler
	ownerID string // the account's canonical user ID

	mu       sync.Mutex
	regions  map[string]string
	granted  map[string]bool
	policies map[string]string
}

func newS3Service(cfg Config) (*s3Service, error) {
	sum := sha256.Sum256([]byte("awsstub account " + cfg.AccountID))
	s := &s3Service{
		backend:  s3mem.New(),
		ownerID:  hex.EncodeToString(sum[:]),
		regions:  map[string]string{},
		granted:  map[string]bool{},
		policies: map[string]string{},
	}
	for name, region := range cfg.Buckets {
		if err := gofakes3.ValidateBucketName(name); err != nil {
			return nil, fmt.Errorf("awsstub: bucket %q: %v", name, err)
		}
		if strings.TrimSpace(region) == "" {
			return nil, fmt.Errorf("awsstub: bucket %q has no region: give one such as %q", name, cfg.Region)
		}
		if err := s.backend.CreateBucket(name); err != nil {
			return nil, fmt.Errorf("awsstub: create bucket %q: %w", name, err)
		}
		s.regions[name] = region
	}
	for _, b := range cfg.GrantedBuckets {
		s.granted[b] = true
	}
	for b, p := range cfg.BucketPolicies {
		s.policies[b] = p
	}
	s.fake = gofakes3.New(s.backend).Server()
	return s, nil
}

func (s *Server) serveS3(w http.ResponseWriter, r *http.Request) {
	op := s3Operation(r)
	if op == "" {
		writeS3Error(w, r, s.requestID(), APIError{Status: http.StatusNotImplemented, Code: "NotImplemented",
			Message: "The lab's S3 stand-in does not implement this request (" + r.Method + " " + r.URL.RequestURI() + ")."})
		return
	}
	if e, ok := s.faults.take(op); ok {
		writeS3Error(w, r, s.requestID(), e)
		return
	}
	bucket, _ := splitS3Path(r.URL.Path)
	switch op {
	case "GetBucketLocation", "GetBucketAcl", "GetBucketPolicy":
		s.s3.bucketRead(w, r, s.requestID(), op, bucket)
	case "CreateBucket":
		s.s3.createBucket(w, r, s.requestID(), bucket)
	case "DeleteBucket":
		s.s3.fake.ServeHTTP(w, r)
		s.s3.forgetIfGone(bucket)
	default:
		s.s3.fake.ServeHTTP(w, r)
	}
}

// bucketRead answers the bucket reads gofakes3 does not have.
func (s *s3Service) bucketRead(w http.ResponseWriter, r *http.Request, requestID, op, bucket string) {
	s.mu.Lock()
	region, ok := s.regions[bucket]
	granted, policy := s.granted[bucket], s.policies[bucket]
	s.mu.Unlock()
	if !ok {
		writeS3Error(w, r, requestID, APIError{Status: 404, Code: "NoSuchBucket", Message: "The specified bucket does not exist"})
		return
	}
	switch op {
	case "GetBucketLocation":
		if region == "us-east-1" {
			region = "" // S3 reports us-east-1 as an empty constraint
		}
		writeXML(w, http.StatusOK, struct {
			XMLName xml.Name `xml:"LocationConstraint"`
			Xmlns   string   `xml:"xmlns,attr"`
			Region  string   `xml:",chardata"`
		}{Xmlns: s3XMLNS, Region: region})
	case "GetBucketAcl":
		w.Header().Set("Content-Type", "application/xml")
		_, _ = io.WriteString(w, s.aclXML(granted))
	case "GetBucketPolicy":
		if policy == "" {
			writeS3Error(w, r, requestID, APIError{Status: 404, Code: "NoSuchBucketPolicy", Message: "The bucket policy does not exist"})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, policy)
	}
}

// aclXML is the bucket ACL: the owner's FULL_CONTROL, plus READ, WRITE and
// READ_ACP for ElastiCache when granted (what export needs).
func (s *s3Service) aclXML(granted bool) string {
	grant := func(id, name, perm string) string {
		return `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>` +
			html.EscapeString(id) + `</ID><DisplayName>` + name + `</DisplayName></Grantee><Permission>` + perm + `</Permission></Grant>`
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString(`<AccessControlPolicy xmlns="` + s3XMLNS + `"><Owner><ID>` + s.ownerID + `</ID><DisplayName>lab</DisplayName></Owner><AccessControlList>`)
	b.WriteString(grant(s.ownerID, "lab", "FULL_CONTROL"))
	if granted {
		for _, perm := range []string{"READ", "WRITE", "READ_ACP"} {
			b.WriteString(grant(ElastiCacheCanonicalID, "aws-scs-s3-readonly", perm))
		}
	}
	b.WriteString(`</AccessControlList></AccessControlPolicy>`)
	return b.String()
}

// createBucket lets gofakes3 create the bucket and records its region from
// the request's LocationConstraint (S3's default is us-east-1).
func (s *s3Service) createBucket(w http.ResponseWriter, r *http.Request, requestID, bucket string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		writeS3Error(w, r, requestID, APIError{Code: "IncompleteBody", Message: "read CreateBucket body: " + err.Error()})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var conf struct {
		LocationConstraint string `xml:"LocationConstraint"`
	}
	_ = xml.Unmarshal(body, &conf) // an empty or absent body means us-east-1
	region := conf.LocationConstraint
	if region == "" {
		region = "us-east-1"
	}
	s.fake.ServeHTTP(w, r)
	if ok, _ := s.backend.BucketExists(bucket); ok {
		s.mu.Lock()
		if _, known := s.regions[bucket]; !known {
			s.regions[bucket] = region
		}
		s.mu.Unlock()
	}
}

func (s *s3Service) forgetIfGone(bucket string) {
	if ok, _ := s.backend.BucketExists(bucket); ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.regions, bucket)
	delete(s.granted, bucket)
	delete(s.policies, bucket)
}

func (s *s3Service) bucketRegion(bucket string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.regions[bucket]
	return r, ok
}

// exportGranted: an ACL grant to the ElastiCache canonical ID (default
// regions) or a bucket policy naming the ElastiCache snapshot service
// principal (opt-in regions).
func (s *s3Service) exportGranted(bucket string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.granted[bucket] || strings.Contains(s.policies[bucket], "elasticache-snapshot.amazonaws.com")
}

func (s *s3Service) objectExists(bucket, key string) bool {
	_, err := s.backend.HeadObject(bucket, key)
	return err == nil
}

// putFile stores a local file as an object.
func (s *s3Service) putFile(bucket, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	meta := map[string]string{"Content-Type": "application/octet-stream", "Last-Modified": time.Now().UTC().Format(http.TimeFormat)}
	_, err = s.backend.PutObject(bucket, key, meta, f, st.Size(), nil)
	return err
}

// writeS3Error writes S3's <Error> document (no body for HEAD).
func writeS3Error(w http.ResponseWriter, r *http.Request, requestID string, e APIError) {
	if r.Method == http.MethodHead {
		w.WriteHeader(e.status())
		return
	}
	writeXML(w, e.status(), struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		RequestID string   `xml:"RequestId"`
	}{Code: e.Code, Message: e.Message, RequestID: requestID})
}
