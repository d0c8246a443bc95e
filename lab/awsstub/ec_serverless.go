package awsstub

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Serverless describes the account's ElastiCache Serverless cache. Its data
// is the source's (Config.Snapshot, Config.Info), as for a replication
// group; its user group is Config.UserGroupIDs' one entry, if any.
type Serverless struct {
	Name             string   // the cache name, e.g. "lab-cache"; required
	Endpoint         string   // host:port of the endpoint (serverless is always TLS); required
	ReaderEndpoint   string   // host:port; default the endpoint's host on the next port, as AWS does (6379, 6380)
	SecurityGroupIDs []string // default one lab security group
	MaxDataGB        int      // CacheUsageLimits.DataStorage.Maximum; 0 sets no limit
	MaxECPU          int      // CacheUsageLimits.ECPUPerSecond.Maximum; 0 sets no limit
	ExportParts      int      // RDB objects an export writes; default 2
}

func (sv *Serverless) setDefaults(c *Config) error {
	if c.ReplicationGroupID != "" {
		return errors.New("awsstub: give ReplicationGroupID or Serverless, not both: a serverless account here has no replication group")
	}
	if !serverlessName.MatchString(sv.Name) {
		return fmt.Errorf("awsstub: Serverless.Name %q is not a cache name (lower-case letters, digits and hyphens, starting with a letter)", sv.Name)
	}
	host, port, err := splitHostPort(sv.Endpoint)
	if err != nil {
		return fmt.Errorf("awsstub: Serverless.Endpoint: %w", err)
	}
	if sv.ReaderEndpoint == "" {
		sv.ReaderEndpoint = net.JoinHostPort(host, strconv.Itoa(port+1))
	}
	if _, _, err := splitHostPort(sv.ReaderEndpoint); err != nil {
		return fmt.Errorf("awsstub: Serverless.ReaderEndpoint: %w", err)
	}
	if len(sv.SecurityGroupIDs) == 0 {
		sv.SecurityGroupIDs = []string{"sg-0lab00000000cache"}
	}
	if sv.ExportParts <= 0 {
		sv.ExportParts = 2
	}
	if len(c.UserGroupIDs) > 1 {
		return fmt.Errorf("awsstub: a serverless cache has at most one user group, not %d", len(c.UserGroupIDs))
	}
	return nil
}

// serverlessName is the rule for serverless cache and snapshot names:
// lower case only, unlike the names of node-based snapshots.
var serverlessName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

var serverlessSnapshotName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,254}$`)

type xmlDataStorage struct {
	Maximum int    `xml:"Maximum"`
	Unit    string `xml:"Unit"`
}

type xmlECPU struct {
	Maximum int `xml:"Maximum"`
}

type xmlCacheUsageLimits struct {
	DataStorage   *xmlDataStorage `xml:"DataStorage,omitempty"`
	ECPUPerSecond *xmlECPU        `xml:"ECPUPerSecond,omitempty"`
}

type xmlServerlessCache struct {
	ServerlessCacheName    string               `xml:"ServerlessCacheName"`
	Description            string               `xml:"Description"`
	CreateTime             time.Time            `xml:"CreateTime"`
	Status                 string               `xml:"Status"`
	Engine                 string               `xml:"Engine"`
	MajorEngineVersion     string               `xml:"MajorEngineVersion"`
	FullEngineVersion      string               `xml:"FullEngineVersion"`
	CacheUsageLimits       *xmlCacheUsageLimits `xml:"CacheUsageLimits,omitempty"`
	StorageEncryptionType  string               `xml:"StorageEncryptionType"`
	SecurityGroupIDs       []string             `xml:"SecurityGroupIds>SecurityGroupId"`
	Endpoint               xmlEndpoint          `xml:"Endpoint"`
	ReaderEndpoint         xmlEndpoint          `xml:"ReaderEndpoint"`
	ARN                    string               `xml:"ARN"`
	UserGroupID            string               `xml:"UserGroupId,omitempty"`
	SubnetIDs              []string             `xml:"SubnetIds>SubnetId"`
	SnapshotRetentionLimit int                  `xml:"SnapshotRetentionLimit"`
	DailySnapshotTime      string               `xml:"DailySnapshotTime,omitempty"`
	NetworkType            string               `xml:"NetworkType"`
}

type xmlServerlessConfiguration struct {
	ServerlessCacheName string `xml:"ServerlessCacheName"`
	Engine              string `xml:"Engine"`
	MajorEngineVersion  string `xml:"MajorEngineVersion"`
}

type xmlServerlessSnapshot struct {
	ServerlessCacheSnapshotName  string                     `xml:"ServerlessCacheSnapshotName"`
	ARN                          string                     `xml:"ARN"`
	SnapshotType                 string                     `xml:"SnapshotType"`
	Status                       string                     `xml:"Status"`
	CreateTime                   *time.Time                 `xml:"CreateTime,omitempty"`
	BytesUsedForCache            string                     `xml:"BytesUsedForCache,omitempty"`
	ServerlessCacheConfiguration xmlServerlessConfiguration `xml:"ServerlessCacheConfiguration"`
}

// versions returns the major and the full engine version ("7", "7.0")
// from EngineVersion: serverless reports no patch level.
func (s *Server) versions() (major, full string) {
	parts := strings.SplitN(s.cfg.EngineVersion, ".", 3)
	full = parts[0]
	if len(parts) > 1 {
		full += "." + parts[1]
	}
	return parts[0], full
}

func (s *Server) serverlessCache() xmlServerlessCache {
	sv := s.cfg.Serverless
	host, port, _ := splitHostPort(sv.Endpoint)
	rhost, rport, _ := splitHostPort(sv.ReaderEndpoint)
	major, full := s.versions()
	c := xmlServerlessCache{
		ServerlessCacheName:    sv.Name,
		Description:            "cutover practice lab source (serverless)",
		CreateTime:             s.ec.created,
		Status:                 "available",
		Engine:                 s.cfg.Engine,
		MajorEngineVersion:     major,
		FullEngineVersion:      full,
		StorageEncryptionType:  "sse-elasticache",
		SecurityGroupIDs:       sv.SecurityGroupIDs,
		Endpoint:               xmlEndpoint{Address: host, Port: port},
		ReaderEndpoint:         xmlEndpoint{Address: rhost, Port: rport},
		ARN:                    s.arn("serverlesscache", sv.Name),
		SubnetIDs:              []string{"subnet-0lab0000000000a", "subnet-0lab0000000000b", "subnet-0lab0000000000c"},
		SnapshotRetentionLimit: s.cfg.SnapshotRetentionLimit,
		NetworkType:            "ipv4",
	}
	if len(s.cfg.UserGroupIDs) == 1 {
		c.UserGroupID = s.cfg.UserGroupIDs[0]
	}
	if start, _, ok := strings.Cut(s.cfg.SnapshotWindow, "-"); ok {
		c.DailySnapshotTime = start
	}
	if sv.MaxDataGB > 0 || sv.MaxECPU > 0 {
		c.CacheUsageLimits = &xmlCacheUsageLimits{}
		if sv.MaxDataGB > 0 {
			c.CacheUsageLimits.DataStorage = &xmlDataStorage{Maximum: sv.MaxDataGB, Unit: "GB"}
		}
		if sv.MaxECPU > 0 {
			c.CacheUsageLimits.ECPUPerSecond = &xmlECPU{Maximum: sv.MaxECPU}
		}
	}
	return c
}

func (s *Server) serverlessNotFound(name string) APIError {
	return APIError{Status: 404, Code: "ServerlessCacheNotFoundFault", Message: fmt.Sprintf("Serverless cache %s not found.", name)}
}

func serverlessSnapshotNotFound(name string) APIError {
	return APIError{Status: 404, Code: "ServerlessCacheSnapshotNotFoundFault", Message: fmt.Sprintf("Serverless cache snapshot %s not found.", name)}
}

// isServerless reports whether name is the account's serverless cache.
func (s *Server) isServerless(name string) bool {
	return s.cfg.Serverless != nil && name == s.cfg.Serverless.Name
}

func (s *Server) describeServerlessCaches(f url.Values) (any, error) {
	name := f.Get("ServerlessCacheName")
	if name != "" && !s.isServerless(name) {
		return nil, s.serverlessNotFound(name)
	}
	var all []xmlServerlessCache
	if s.cfg.Serverless != nil {
		all = append(all, s.serverlessCache())
	}
	caches, next, err := pageBy(all, f, "MaxResults", "NextToken", 50, 1, 100)
	if err != nil {
		return nil, err
	}
	return struct {
		ServerlessCaches []xmlServerlessCache `xml:"ServerlessCaches>member"`
		NextToken        string               `xml:"NextToken,omitempty"`
	}{caches, next}, nil
}

// findServerlessLocked returns the serverless snapshot with this name;
// s.ec.mu must be held.
func (s *Server) findServerlessLocked(name string) *snapshot {
	for _, sn := range s.ec.serverless {
		if sn.name == name {
			return sn
		}
	}
	return nil
}

func (s *Server) xmlServerlessSnapshotLocked(sn *snapshot) xmlServerlessSnapshot {
	major, _ := s.versions()
	x := xmlServerlessSnapshot{
		ServerlessCacheSnapshotName:  sn.name,
		ARN:                          s.arn("serverlesscachesnapshot", sn.name),
		SnapshotType:                 "manual",
		Status:                       sn.status,
		ServerlessCacheConfiguration: xmlServerlessConfiguration{ServerlessCacheName: sn.cluster, Engine: s.cfg.Engine, MajorEngineVersion: major},
	}
	if !sn.createdAt.IsZero() {
		at := sn.createdAt
		x.CreateTime = &at
		x.BytesUsedForCache = strconv.FormatInt(sn.size(), 10)
	}
	return x
}

type serverlessSnapshotResult struct {
	ServerlessCacheSnapshot xmlServerlessSnapshot `xml:"ServerlessCacheSnapshot"`
}

func (s *Server) createServerlessSnapshot(f url.Values) (any, error) {
	cache, name := f.Get("ServerlessCacheName"), f.Get("ServerlessCacheSnapshotName")
	switch {
	case cache == "":
		return nil, missing("ServerlessCacheName")
	case name == "":
		return nil, missing("ServerlessCacheSnapshotName")
	case !serverlessSnapshotName.MatchString(name) || strings.Contains(name, "--") || strings.HasSuffix(name, "-"):
		return nil, invalidValue("ServerlessCacheSnapshotName %q must begin with a lower-case letter, contain only lower-case letters, digits and single hyphens, and not end with a hyphen.", name)
	case !s.isServerless(cache):
		return nil, s.serverlessNotFound(cache)
	}
	s.ec.mu.Lock()
	defer s.ec.mu.Unlock()
	if s.findServerlessLocked(name) != nil {
		return nil, APIError{Code: "ServerlessCacheSnapshotAlreadyExistsFault", Message: fmt.Sprintf("Serverless cache snapshot %s already exists.", name)}
	}
	for _, sn := range s.ec.serverless {
		if sn.status == "creating" {
			return nil, APIError{Code: "InvalidServerlessCacheStateFault",
				Message: fmt.Sprintf("Serverless cache %s is already taking snapshot %s; wait until it is available.", cache, sn.name)}
		}
	}
	sn := s.newSnapshotLocked(&s.ec.serverless, name, cache, []string{cache})
	started := time.Now()
	s.goWork(func(ctx context.Context) { s.takeSnapshot(ctx, sn, started) })
	return serverlessSnapshotResult{s.xmlServerlessSnapshotLocked(sn)}, nil
}

func (s *Server) describeServerlessSnapshots(f url.Values) (any, error) {
	cache, name, typ := f.Get("ServerlessCacheName"), f.Get("ServerlessCacheSnapshotName"), f.Get("SnapshotType")
	if cache != "" && !s.isServerless(cache) {
		return nil, s.serverlessNotFound(cache)
	}
	s.ec.mu.Lock()
	var all []xmlServerlessSnapshot
	for _, sn := range s.ec.serverless {
		// Every snapshot here is manual; there are no automatic ones.
		if (name == "" || name == sn.name) && (typ == "" || typ == "manual") {
			all = append(all, s.xmlServerlessSnapshotLocked(sn))
		}
	}
	s.ec.mu.Unlock()
	if name != "" && len(all) == 0 {
		return nil, serverlessSnapshotNotFound(name)
	}
	snaps, next, err := pageBy(all, f, "MaxResults", "NextToken", 50, 1, 50)
	if err != nil {
		return nil, err
	}
	return struct {
		Snapshots []xmlServerlessSnapshot `xml:"ServerlessCacheSnapshots>ServerlessCacheSnapshot"`
		NextToken string                  `xml:"NextToken,omitempty"`
	}{snaps, next}, nil
}

// serverlessExportKeys are the objects an export of the serverless snapshot
// name writes: parts RDB files under the prefix "<name>/".
func serverlessExportKeys(name string, parts int) []string {
	return exportKeys(name+"/"+name, parts)
}

func (s *Server) exportServerlessSnapshot(f url.Values) (any, error) {
	name, bucket := f.Get("ServerlessCacheSnapshotName"), f.Get("S3BucketName")
	switch {
	case name == "":
		return nil, missing("ServerlessCacheSnapshotName")
	case bucket == "":
		return nil, missing("S3BucketName")
	}
	s.ec.mu.Lock()
	defer s.ec.mu.Unlock()
	sn := s.findServerlessLocked(name)
	if sn == nil {
		return nil, serverlessSnapshotNotFound(name)
	}
	keys := serverlessExportKeys(name, s.cfg.Serverless.ExportParts)
	if err := s.checkExportBucket(bucket, keys...); err != nil {
		return nil, err
	}
	if sn.status != "available" {
		return nil, APIError{Code: "InvalidServerlessCacheSnapshotStateFault",
			Message: fmt.Sprintf("Serverless cache snapshot %s is %s, not available: wait until it is available.", name, sn.status)}
	}
	sn.status = "exporting"
	s.goWork(func(ctx context.Context) { s.exportParts(ctx, sn, bucket, keys) })
	return serverlessSnapshotResult{s.xmlServerlessSnapshotLocked(sn)}, nil
}

// exportParts splits the snapshot's RDB into one file per key and stores
// them after half the snapshot delay, then makes the snapshot available
// again. A failure leaves no objects, as a failed export does.
func (s *Server) exportParts(ctx context.Context, sn *snapshot, bucket string, keys []string) {
	defer s.exported(sn)
	if !sleep(ctx, s.cfg.SnapshotDelay/2) {
		return
	}
	files := make([]string, len(keys))
	for i := range files {
		files[i] = fmt.Sprintf("%s.part%d", sn.files[0], i+1)
	}
	defer func() {
		for _, f := range files {
			_ = os.Remove(f)
		}
	}()
	if err := splitRDB(sn.files[0], files); err == nil {
		s.putAll(bucket, keys, files)
	}
}
