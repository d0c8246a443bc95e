package awsstub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// snapshot is one manual backup; its RDBs, one per shard, live in files
// under Server.dir.
type snapshot struct {
	name      string
	cluster   string   // the member cluster it was taken from; "" for a cluster-mode group's
	nodes     []string // per shard, the member cluster its file was taken from
	status    string   // creating, available, exporting, failed
	files     []string
	sizes     []int64
	createdAt time.Time // when it became available
}

func (sn *snapshot) size() int64 {
	var n int64
	for _, s := range sn.sizes {
		n += s
	}
	return n
}

// newSnapshotLocked adds a snapshot taken from nodes (one file each) to
// list; s.ec.mu must be held.
func (s *Server) newSnapshotLocked(list *[]*snapshot, name, cluster string, nodes []string) *snapshot {
	sn := &snapshot{name: name, cluster: cluster, nodes: nodes, status: "creating", sizes: make([]int64, len(nodes))}
	for range nodes {
		s.ec.nextFile++
		sn.files = append(sn.files, filepath.Join(s.dir, fmt.Sprintf("snapshot-%d.rdb", s.ec.nextFile)))
	}
	*list = append(*list, sn)
	return sn
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
	if s.clusterMode() {
		_, port, _ = splitHostPort(s.cfg.ConfigurationEndpoint)
	}
	var nodes []xmlNodeSnapshot
	for i, id := range sn.nodes {
		node := xmlNodeSnapshot{CacheClusterID: id, NodeGroupID: nodeGroupID(i), CacheNodeID: cacheNodeID, CacheNodeCreateTime: s.ec.created}
		if !sn.createdAt.IsZero() {
			at := sn.createdAt
			node.SnapshotCreateTime = &at
			node.CacheSize = fmt.Sprintf("%d MB", (sn.sizes[i]+(1<<20)-1)>>20)
		}
		nodes = append(nodes, node)
	}
	zone := ""
	if m, ok := s.member(sn.cluster); ok {
		zone = m.zone
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
		PreferredAvailabilityZone:   zone,
		CacheClusterCreateTime:      s.ec.created,
		PreferredMaintenanceWindow:  maintWindow,
		Port:                        port,
		CacheParameterGroupName:     s.paramGroupName(),
		CacheSubnetGroupName:        subnetGroup,
		AutoMinorVersionUpgrade:     true,
		SnapshotRetentionLimit:      s.cfg.SnapshotRetentionLimit,
		SnapshotWindow:              s.cfg.SnapshotWindow,
		NumNodeGroups:               len(sn.nodes),
		AutomaticFailover:           enabled(s.cfg.AutomaticFailover),
		NodeSnapshots:               nodes,
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
	case cc != "" && s.clusterMode():
		return nil, APIError{Code: "InvalidParameterCombination",
			Message: fmt.Sprintf("Replication group %s has cluster mode enabled: snapshot it by ReplicationGroupId, not one cluster.", s.cfg.ReplicationGroupID)}
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
	var nodes []string
	switch {
	case s.clusterMode():
		for i := range s.cfg.Shards {
			nodes = append(nodes, s.snapshotting(i))
		}
	case cc == "":
		cc = s.snapshotting(0)
		fallthrough
	default:
		nodes = []string{cc}
	}
	sn := s.newSnapshotLocked(&s.ec.snapshots, name, cc, nodes)
	started := time.Now()
	s.goWork(func(ctx context.Context) { s.takeSnapshot(ctx, sn, started) })
	return snapshotResult{s.xmlSnapshotLocked(sn)}, nil
}

// takeSnapshot writes the RDB of every shard, each from its own source
// node at once, then keeps the snapshot "creating" until SnapshotDelay has
// passed since it was asked for.
func (s *Server) takeSnapshot(ctx context.Context, sn *snapshot, started time.Time) {
	writers := s.snapshotWriters()
	sizes := make([]int64, len(sn.files))
	errs := make([]error, len(sn.files))
	var wg sync.WaitGroup
	for i, f := range sn.files {
		wg.Go(func() { sizes[i], errs[i] = s.writeRDB(ctx, f, writers[i]) })
	}
	wg.Wait()
	err := errors.Join(errs...)
	if err == nil && !sleep(ctx, s.cfg.SnapshotDelay-time.Since(started)) {
		err = ctx.Err()
	}
	s.ec.mu.Lock()
	defer s.ec.mu.Unlock()
	if err != nil {
		sn.status = "failed"
		return
	}
	sn.status, sn.sizes, sn.createdAt = "available", sizes, time.Now().UTC().Truncate(time.Millisecond)
}

func (s *Server) writeRDB(ctx context.Context, path string, write func(context.Context, io.Writer) error) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	cw := &countingWriter{w: f}
	err = write(ctx, cw)
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
// "<TargetSnapshotName>-0001.rdb", "-0002.rdb", ... (one object per shard).
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
	keys := exportKeys(target, len(sn.files))
	if bucket != "" {
		if err := s.checkExportBucket(bucket, keys...); err != nil {
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
		s.goWork(func(ctx context.Context) { s.export(ctx, sn, bucket, keys) })
		return snapshotResult{s.xmlSnapshotLocked(sn)}, nil
	}
	cp := &snapshot{name: target, cluster: sn.cluster, nodes: sn.nodes, status: "creating", files: sn.files, sizes: sn.sizes}
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

// export writes the snapshot's files to the bucket as keys after half the
// snapshot delay, then makes the snapshot available again.
func (s *Server) export(ctx context.Context, sn *snapshot, bucket string, keys []string) {
	defer s.exported(sn)
	if sleep(ctx, s.cfg.SnapshotDelay/2) {
		s.putAll(bucket, keys, sn.files)
	}
}

// putAll stores files[i] as keys[i]. A failed write (the bucket was
// deleted meanwhile) leaves no object; as with ElastiCache, the snapshot
// itself stays usable.
func (s *Server) putAll(bucket string, keys, files []string) {
	for i, k := range keys {
		_ = s.s3.putFile(bucket, k, files[i])
	}
}

// exported makes the snapshot available again after an export.
func (s *Server) exported(sn *snapshot) {
	s.ec.mu.Lock()
	sn.status = "available"
	s.ec.mu.Unlock()
}
