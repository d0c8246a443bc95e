package awsstub

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// snapshot is one manual backup; its RDB lives in a file under Server.dir.
type snapshot struct {
	name      string
	cluster   string // the member cluster it was taken from
	status    string // creating, available, exporting, failed
	file      string
	size      int64
	createdAt time.Time // when it became available
}

var snapshotName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,254}$`)

func checkSnapshotName(param, name string) error {
	if name == "" {
		return missing(param)
	}
	if !snapshotName.MatchString(name) || strings.Contains(name, "--") || strings.HasSuffix(name, "-") {
		return invalidValue("%s %q must begin with a letter, contain only letters, digits and single hyphens, and not end with a hyphen.", param, name)
	}
	return nil
}

// findLocked returns the snapshot with this name; s.ec.mu must be held.
func (s *Server) findLocked(name string) *snapshot {
	for _, sn := range s.ec.snapshots {
		if sn.name == name {
			return sn
		}
	}
	return nil
}

func snapshotNotFound(name string) APIError {
	return APIError{Status: 404, Code: "SnapshotNotFoundFault", Message: fmt.Sprintf("Snapshot %s not found.", name)}
}

// xmlSnapshotLocked describes sn; s.ec.mu must be held.
func (s *Server) xmlSnapshotLocked(sn *snapshot) xmlSnapshot {
	_, port, _ := splitHostPort(s.cfg.PrimaryEndpoint)
	node := xmlNodeSnapshot{CacheClusterID: sn.cluster, NodeGroupID: nodeGroupID, CacheNodeID: cacheNodeID, CacheNodeCreateTime: s.ec.created}
	if !sn.createdAt.IsZero() {
		at := sn.createdAt
		node.SnapshotCreateTime = &at
		node.CacheSize = fmt.Sprintf("%d MB", (sn.size+(1<<20)-1)>>20)
	}
	return xmlSnapshot{
		SnapshotName:                sn.name,
		ReplicationGroupID:          s.cfg.ReplicationGroupID,
		ReplicationGroupDescription: "cutover practice lab source",
		CacheClusterID:              sn.cluster,
		SnapshotStatus:              sn.status,
		SnapshotSource:              "manual",
		CacheNodeType:               s.cfg.NodeType,
		Engine:                      s.cfg.Engine,
		EngineVersion:               s.cfg.EngineVersion,
		NumCacheNodes:               1,
		PreferredAvailabilityZone:   s.zoneOf(slices.Index(s.memberIDs(), sn.cluster)),
		CacheClusterCreateTime:      s.ec.created,
		PreferredMaintenanceWindow:  maintWindow,
		Port:                        port,
		CacheParameterGroupName:     s.paramGroupName(),
		CacheSubnetGroupName:        subnetGroup,
		AutoMinorVersionUpgrade:     true,
		SnapshotRetentionLimit:      s.cfg.SnapshotRetentionLimit,
		SnapshotWindow:              s.cfg.SnapshotWindow,
		NumNodeGroups:               1,
		AutomaticFailover:           enabled(s.cfg.AutomaticFailover),
		NodeSnapshots:               []xmlNodeSnapshot{node},
		ARN:                         s.arn("snapshot", sn.name),
		DataTiering:                 "disabled",
	}
}

type snapshotResult struct {
	Snapshot xmlSnapshot `xml:"Snapshot"`
}

func (s *Server) createSnapshot(f url.Values) (any, error) {
	name := f.Get("SnapshotName")
	if err := checkSnapshotName("SnapshotName", name); err != nil {
		return nil, err
	}
	rg, cc := f.Get("ReplicationGroupId"), f.Get("CacheClusterId")
	switch {
	case rg == "" && cc == "":
		return nil, APIError{Code: "InvalidParameterCombination", Message: "Either ReplicationGroupId or CacheClusterId must be given."}
	case rg != "" && cc != "":
		return nil, APIError{Code: "InvalidParameterCombination", Message: "Give ReplicationGroupId or CacheClusterId, not both."}
	case rg != "" && rg != s.cfg.ReplicationGroupID:
		return nil, s.groupNotFound(rg)
	case cc != "" && !s.isMember(cc):
		return nil, s.clusterNotFound(cc)
	}
	s.ec.mu.Lock()
	defer s.ec.mu.Unlock()
	if s.findLocked(name) != nil {
		return nil, APIError{Code: "SnapshotAlreadyExistsFault", Message: fmt.Sprintf("Snapshot with specified name [%s] already exists.", name)}
	}
	for _, sn := range s.ec.snapshots {
		if sn.status == "creating" {
			return nil, APIError{Code: "InvalidReplicationGroupState",
				Message: fmt.Sprintf("Replication group %s is already taking snapshot %s; wait until it is available.", s.cfg.ReplicationGroupID, sn.name)}
		}
	}
	if cc == "" {
		cc = s.snapshottingID()
	}
	s.ec.nextFile++
	sn := &snapshot{name: name, cluster: cc, status: "creating", file: filepath.Join(s.dir, fmt.Sprintf("snapshot-%d.rdb", s.ec.nextFile))}
	s.ec.snapshots = append(s.ec.snapshots, sn)
	started := time.Now()
	s.goWork(func(ctx context.Context) { s.takeSnapshot(ctx, sn, started) })
	return snapshotResult{s.xmlSnapshotLocked(sn)}, nil
}

// takeSnapshot writes the source's RDB, then keeps the snapshot "creating"
// until SnapshotDelay has passed since it was asked for.
func (s *Server) takeSnapshot(ctx context.Context, sn *snapshot, started time.Time) {
	size, err := s.writeRDB(ctx, sn.file)
	if err == nil && !sleep(ctx, s.cfg.SnapshotDelay-time.Since(started)) {
		err = ctx.Err()
	}
	s.ec.mu.Lock()
	defer s.ec.mu.Unlock()
	if err != nil {
		sn.status = "failed"
		return
	}
	sn.status, sn.size, sn.createdAt = "available", size, time.Now().UTC().Truncate(time.Millisecond)
}

func (s *Server) writeRDB(ctx context.Context, path string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	cw := &countingWriter{w: f}
	err = s.cfg.Snapshot(ctx, cw)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (s *Server) describeSnapshots(f url.Values) (any, error) {
	name, rg, cc, src := f.Get("SnapshotName"), f.Get("ReplicationGroupId"), f.Get("CacheClusterId"), f.Get("SnapshotSource")
	if rg != "" && rg != s.cfg.ReplicationGroupID {
		return nil, s.groupNotFound(rg)
	}
	if cc != "" && !s.isMember(cc) {
		return nil, s.clusterNotFound(cc)
	}
	s.ec.mu.Lock()
	var all []xmlSnapshot
	for _, sn := range s.ec.snapshots {
		// Every snapshot here is manual ("user"); there are no automatic ones.
		if (name == "" || name == sn.name) && (src == "" || src == "user") {
			all = append(all, s.xmlSnapshotLocked(sn))
		}
	}
	s.ec.mu.Unlock()
	if name != "" && len(all) == 0 {
		return nil, snapshotNotFound(name)
	}
	snaps, marker, err := page(all, f, 50, 20, 50)
	if err != nil {
		return nil, err
	}
	return struct {
		Snapshots []xmlSnapshot `xml:"Snapshots>Snapshot"`
		Marker    string        `xml:"Marker,omitempty"`
	}{snaps, marker}, nil
}

// copySnapshot copies a snapshot, or with TargetBucket exports it to S3 as
// "<TargetSnapshotName>-0001.rdb" (one object per shard; there is one).
func (s *Server) copySnapshot(f url.Values) (any, error) {
	src, target, bucket := f.Get("SourceSnapshotName"), f.Get("TargetSnapshotName"), f.Get("TargetBucket")
	if src == "" {
		return nil, missing("SourceSnapshotName")
	}
	if err := checkSnapshotName("TargetSnapshotName", target); err != nil {
		return nil, err
	}
	s.ec.mu.Lock()
	defer s.ec.mu.Unlock()
	sn := s.findLocked(src)
	if sn == nil {
		return nil, snapshotNotFound(src)
	}
	if bucket != "" {
		if err := s.checkExportBucket(bucket, target+"-0001.rdb"); err != nil {
			return nil, err
		}
	} else if s.findLocked(target) != nil {
		return nil, APIError{Code: "SnapshotAlreadyExistsFault", Message: fmt.Sprintf("Snapshot with specified name [%s] already exists.", target)}
	}
	if sn.status != "available" {
		return nil, APIError{Code: "InvalidSnapshotState", Message: fmt.Sprintf("Snapshot %s is %s, not available: wait until it is available.", src, sn.status)}
	}
	if bucket != "" {
		sn.status = "exporting"
		s.goWork(func(ctx context.Context) { s.export(ctx, sn, bucket, target+"-0001.rdb") })
		return snapshotResult{s.xmlSnapshotLocked(sn)}, nil
	}
	cp := &snapshot{name: target, cluster: sn.cluster, status: "creating", file: sn.file, size: sn.size}
	s.ec.snapshots = append(s.ec.snapshots, cp)
	s.goWork(func(ctx context.Context) {
		if sleep(ctx, s.cfg.SnapshotDelay) {
			s.ec.mu.Lock()
			cp.status, cp.createdAt = "available", time.Now().UTC().Truncate(time.Millisecond)
			s.ec.mu.Unlock()
		}
	})
	return snapshotResult{s.xmlSnapshotLocked(cp)}, nil
}

// checkExportBucket applies ElastiCache's export checks, with its
// messages, for an export that writes keys.
func (s *Server) checkExportBucket(bucket string, keys ...string) error {
	region, ok := s.s3.bucketRegion(bucket)
	switch {
	case !ok:
		return invalidValue("The S3 bucket %s does not exist.", bucket)
	case region != s.cfg.Region:
		return invalidValue("The S3 bucket %s is outside of the region.", bucket)
	case !s.s3.exportGranted(bucket):
		return invalidValue("ElastiCache has not been granted READ permissions %s on the S3 Bucket.", ElastiCacheCanonicalID)
	}
	for _, key := range keys {
		if s.s3.objectExists(bucket, key) {
			return invalidValue("The S3 bucket %s already contains an object with key %s.", bucket, key)
		}
	}
	return nil
}

// export writes the RDB to the bucket after half the snapshot delay, then
// makes the snapshot available again.
func (s *Server) export(ctx context.Context, sn *snapshot, bucket, key string) {
	if !sleep(ctx, s.cfg.SnapshotDelay/2) {
		return
	}
	// A failed write (the bucket was deleted meanwhile) leaves no object;
	// as with ElastiCache, the snapshot itself stays usable.
	_ = s.s3.putFile(bucket, key, sn.file)
	s.ec.mu.Lock()
	sn.status = "available"
	s.ec.mu.Unlock()
}
