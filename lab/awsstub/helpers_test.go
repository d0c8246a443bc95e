package awsstub

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cutover/cutover/lab/zone"
)

// fakeRDB stands in for a real RDB in these tests: the stand-in only
// stores and ships the bytes.
var fakeRDB = []byte("REDIS0010\xfa\x09redis-ver\x067.0.15\xff\x00\x00\x00\x00\x00\x00\x00\x00")

// infoSource is a settable INFO reply.
type infoSource struct {
	mu   sync.Mutex
	text string
}

func (i *infoSource) set(text string) { i.mu.Lock(); i.text = text; i.mu.Unlock() }
func (i *infoSource) get(context.Context) (string, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.text == "" {
		return "", errors.New("source unreachable")
	}
	return i.text, nil
}

type lab struct {
	srv   *Server
	zones *zone.Store
	info  *infoSource
	aws   aws.Config
	ec    *elasticache.Client
	s3    *s3.Client
	r53   *route53.Client
	cw    *cloudwatch.Client
}

// newLab starts a stand-in shaped like the practice lab's; edit adjusts
// the config before Start.
func newLab(t *testing.T, edit func(*Config)) *lab {
	t.Helper()
	zones := zone.NewStore()
	must(t, zones.AddZone("Z0LAB", "lab.internal"))
	must(t, zones.Set("Z0LAB", zone.Record{Name: "source.lab.internal", Type: "A", TTL: 60, Values: []string{"127.0.41.1"}}))
	must(t, zones.Set("Z0LAB", zone.Record{Name: "target.lab.internal", Type: "A", TTL: 60, Values: []string{"127.0.41.2"}}))
	must(t, zones.Set("Z0LAB", zone.Record{Name: "cache.lab.internal", Type: "CNAME", TTL: 300, Values: []string{"source.lab.internal"}}))
	info := &infoSource{}
	cfg := Config{
		ReplicationGroupID: "lab-cache",
		PrimaryEndpoint:    "source.lab.internal:6379",
		AuthTokenEnabled:   true,
		TransitEncryption:  true,
		AtRestEncryption:   true,
		MultiAZ:            true,
		AutomaticFailover:  true,
		NumReplicas:        1,
		Parameters:         map[string]string{"maxmemory-policy": "allkeys-lru", "notify-keyspace-events": "Ex"},
		Snapshot: func(ctx context.Context, w io.Writer) error {
			_, err := w.Write(fakeRDB)
			return err
		},
		Info:           info.get,
		Zones:          zones,
		Buckets:        map[string]string{"lab-exports": "us-east-1", "lab-eu": "eu-west-1", "lab-nogrant": "us-east-1"},
		GrantedBuckets: []string{"lab-exports", "lab-eu"},
		SnapshotDelay:  150 * time.Millisecond,
		ChangeDelay:    200 * time.Millisecond,
	}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := Start(cfg)
	must(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	ac := aws.Config{
		Region:                     "us-east-1",
		Credentials:                credentials.NewStaticCredentialsProvider("AKIDLABTEST", "lab-secret-key", ""),
		BaseEndpoint:               aws.String(srv.URL()),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		// One attempt each: tests count injected faults exactly.
		Retryer: func() aws.Retryer { return aws.NopRetryer{} },
	}
	return &lab{
		srv: srv, zones: zones, info: info, aws: ac,
		ec:  elasticache.NewFromConfig(ac),
		s3:  s3.NewFromConfig(ac, func(o *s3.Options) { o.UsePathStyle = true }),
		r53: route53.NewFromConfig(ac),
		cw:  cloudwatch.NewFromConfig(ac),
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls f every 20ms until it returns true or 5s pass.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
