// Package awsstub is the practice lab's stand-in for the AWS endpoints the
// runbook calls: ElastiCache (awsquery), S3 (gofakes3), Route53 (rest-xml)
// and CloudWatch (rpc-v2-cbor), all on one loopback HTTP URL. It is reached
// only through the real aws-sdk-go-v2 clients with BaseEndpoint set to
// Server.URL(); it is for the lab and tests, never for the product itself.
package awsstub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cutover/cutover/lab/zone"
)

// Config describes the simulated account: one replication group (cluster
// mode when Shards are given), or one serverless cache (Serverless), whose
// data comes from real Redis servers (Snapshot or each shard's, Info), the
// lab's hosted zones, and S3 buckets.
type Config struct {
	Addr               string // listen address; default "127.0.0.1:0"; must be loopback
	Region             string // default "us-east-1"
	AccountID          string // default "123456789012"
	ReplicationGroupID string // e.g. "lab-cache"; required unless Serverless is set
	Engine             string // "redis" (default) or "valkey"
	EngineVersion      string // default "7.0.15"
	NodeType           string // default "cache.r7g.large"
	PrimaryEndpoint    string // host:port the source answers on; required with ReplicationGroupID unless Shards are given

	// Shards make the group cluster-mode enabled, one node group each; they
	// replace PrimaryEndpoint, NumReplicas and Snapshot. The
	// ConfigurationEndpoint (host:port) is then required.
	Shards                []Shard
	ConfigurationEndpoint string

	// Serverless makes the source an ElastiCache Serverless cache: the
	// account then has no replication group (give no ReplicationGroupID).
	Serverless *Serverless

	AuthTokenEnabled, TransitEncryption, AtRestEncryption, MultiAZ, AutomaticFailover bool

	NumReplicas              int      // 0..5 read replicas (member clusters -002, -003, ...)
	UserGroupIDs             []string // RBAC user groups attached to the group
	Users                    []User   // the users in each of those groups, beside the default user
	GlobalReplicationGroupID string   // set when the group is the primary of a Global Datastore
	SnapshotRetentionLimit   int      // days of automatic backups (0 = off)
	SnapshotWindow           string   // e.g. "05:00-06:00"

	// Parameters are the group's non-default parameter values, e.g.
	// "maxmemory-policy": "allkeys-lru". When set, the group uses a custom
	// parameter group "<ReplicationGroupID>-params".
	Parameters map[string]string

	Snapshot func(ctx context.Context, w io.Writer) error // writes a real RDB of the source; required
	Info     func(ctx context.Context) (string, error)    // raw INFO text of the source; required

	Zones *zone.Store // the hosted zones Route53 serves and changes; required

	Buckets        map[string]string // bucket name -> region, created at start
	GrantedBuckets []string          // buckets whose ACL grants the ElastiCache canonical ID export access
	BucketPolicies map[string]string // bucket name -> bucket policy JSON (GetBucketPolicy)

	SnapshotDelay time.Duration // how long a snapshot stays "creating" (and an export "exporting"); default 2s
	SampleEvery   time.Duration // when set, INFO is sampled this often for CloudWatch's rates
	ChangeDelay   time.Duration // how long a Route53 change stays PENDING; default 1s

	Extra http.Handler // serves /_lab/... (paths keep the prefix)

	now func() time.Time // clock for CloudWatch samples; tests replace it
}

// ElastiCacheCanonicalID is the canonical user ID that S3 exports from
// ElastiCache must be granted in the default regions.
const ElastiCacheCanonicalID = "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353"

// Server is a running stand-in.
type Server struct {
	cfg  Config
	url  string
	http *http.Server
	dir  string // holds the snapshot RDB files

	ctx    context.Context // canceled by Close; parents background work
	cancel context.CancelFunc
	work   sync.WaitGroup

	reqID  atomic.Uint64
	faults faults
	ec     elastiCache
	s3     *s3Service
	r53    r53State
	cw     cloudWatch
	prices []priceItem

	closeOnce sync.Once
	closeErr  error
}

// Start validates cfg, creates the buckets and serves until Close.
func Start(cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "awsstub-snapshots-")
	if err != nil {
		return nil, fmt.Errorf("awsstub: temp dir for snapshots: %w", err)
	}
	s := &Server{cfg: cfg, dir: dir}
	if s.prices, err = loadPriceList(priceList); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("awsstub: %w", err)
	}
	s.ec.init()
	s.r53.init()
	if s.s3, err = newS3Service(cfg); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("awsstub: listen on %s: %w", cfg.Addr, err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.url = "http://" + ln.Addr().String()
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	go func() { _ = s.http.Serve(ln) }()
	if cfg.SampleEvery > 0 {
		go s.sampleInfo(cfg.SampleEvery)
	}
	return s, nil
}

// sampleInfo reads the source's INFO now and then, as CloudWatch collects
// all the time: the first GetMetricData then covers recent traffic, not
// everything since the server started (the lab's seeding, say).
func (s *Server) sampleInfo(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
		text, err := s.cfg.Info(ctx)
		cancel()
		if err == nil {
			s.cw.add(parseInfo(s.cfg.now(), text))
		}
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *Config) setDefaults() error {
	def := func(p *string, v string) {
		if strings.TrimSpace(*p) == "" {
			*p = v
		}
	}
	def(&c.Addr, "127.0.0.1:0")
	def(&c.Region, "us-east-1")
	def(&c.AccountID, "123456789012")
	def(&c.Engine, "redis")
	def(&c.EngineVersion, "7.0.15")
	def(&c.NodeType, "cache.r7g.large")
	if c.now == nil {
		c.now = time.Now
	}
	if c.SnapshotDelay <= 0 {
		c.SnapshotDelay = 2 * time.Second
	}
	if c.ChangeDelay <= 0 {
		c.ChangeDelay = time.Second
	}
	if ap, err := netip.ParseAddrPort(c.Addr); err != nil || !ap.Addr().IsLoopback() {
		return fmt.Errorf("awsstub: Addr %q is not a loopback IP:port: use 127.0.0.1:0", c.Addr)
	}
	if c.Engine != "redis" && c.Engine != "valkey" {
		return fmt.Errorf("awsstub: Engine %q is not redis or valkey", c.Engine)
	}
	if c.Serverless != nil {
		if err := c.Serverless.setDefaults(c); err != nil {
			return err
		}
	} else if len(c.Shards) > 0 {
		if c.ReplicationGroupID == "" {
			return errors.New("awsstub: ReplicationGroupID is empty: Shards are the node groups of a replication group")
		}
		if err := c.checkShards(); err != nil {
			return err
		}
	} else {
		if c.ReplicationGroupID == "" {
			return errors.New("awsstub: ReplicationGroupID is empty: set it, e.g. \"lab-cache\" (or Serverless)")
		}
		if _, _, err := splitHostPort(c.PrimaryEndpoint); err != nil {
			return fmt.Errorf("awsstub: PrimaryEndpoint: %w", err)
		}
	}
	if c.NumReplicas < 0 || c.NumReplicas > 5 {
		return fmt.Errorf("awsstub: NumReplicas %d is outside 0..5", c.NumReplicas)
	}
	if (c.Snapshot == nil && len(c.Shards) == 0) || c.Info == nil {
		return errors.New("awsstub: Snapshot (or Shards) and Info are required: they read the real source server")
	}
	if c.Zones == nil {
		return errors.New("awsstub: Zones is nil: pass the lab's zone.Store")
	}
	for _, b := range c.GrantedBuckets {
		if _, ok := c.Buckets[b]; !ok {
			return fmt.Errorf("awsstub: GrantedBuckets names %q, which is not in Buckets", b)
		}
	}
	for b := range c.BucketPolicies {
		if _, ok := c.Buckets[b]; !ok {
			return fmt.Errorf("awsstub: BucketPolicies names %q, which is not in Buckets", b)
		}
	}
	return nil
}

// URL returns the base URL, "http://127.0.0.1:PORT", for BaseEndpoint or
// AWS_ENDPOINT_URL.
func (s *Server) URL() string { return s.url }

// Close stops serving, stops background snapshot, export and DNS-change work,
// and deletes the snapshot files. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := s.http.Shutdown(ctx)
		s.cancel()
		s.r53.stop()
		s.work.Wait()
		s.closeErr = errors.Join(err, os.RemoveAll(s.dir))
	})
	return s.closeErr
}

// ServeHTTP routes a request to the service its SigV4 scope names.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_lab/") {
		if s.cfg.Extra == nil {
			http.NotFound(w, r)
			return
		}
		s.cfg.Extra.ServeHTTP(w, r)
		return
	}
	switch svc := service(r); svc {
	case "elasticache":
		s.serveElastiCache(w, r)
	case "route53":
		s.serveRoute53(w, r)
	case "monitoring":
		s.serveCloudWatch(w, r)
	case "s3":
		s.serveS3(w, r)
	case "pricing":
		s.servePricing(w, r)
	default:
		writeXMLError(w, s.requestID(), "", APIError{Status: http.StatusBadRequest, Code: "UnknownService",
			Message: fmt.Sprintf("the lab's AWS stand-in does not serve %q: only elasticache, s3, route53, monitoring and pricing", svc)})
	}
}

func (s *Server) requestID() string {
	n := s.reqID.Add(1)
	return fmt.Sprintf("1ab0c0de-0000-4000-8000-%012x", n)
}

// goWork runs f in the background until it returns or Close cancels ctx.
func (s *Server) goWork(f func(ctx context.Context)) {
	s.work.Add(1)
	go func() {
		defer s.work.Done()
		f(s.ctx)
	}()
}

// sleep waits for d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func splitHostPort(hp string) (string, int, error) {
	host, port, err := net.SplitHostPort(hp)
	if err != nil || host == "" {
		return "", 0, fmt.Errorf("%q is not host:port, e.g. cache.lab.internal:6379", hp)
	}
	p, err := netip.ParseAddrPort("127.0.0.1:" + port)
	if err != nil || p.Port() == 0 {
		return "", 0, fmt.Errorf("%q has no valid port", hp)
	}
	return host, int(p.Port()), nil
}
