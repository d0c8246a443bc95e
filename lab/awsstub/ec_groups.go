package awsstub

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// The simulated topology: one shard "0001"; member cluster -001 is the
// primary, -002... are replicas; each cluster has one node "0001".

const (
	nodeGroupID = "0001"
	cacheNodeID = "0001"
	subnetGroup = "lab-cache-subnets"
	maintWindow = "sun:23:00-mon:01:30"
)

// memberIDs is empty in a serverless account, which has no group.
func (s *Server) memberIDs() []string {
	if s.cfg.ReplicationGroupID == "" {
		return nil
	}
	ids := make([]string, s.cfg.NumReplicas+1)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%03d", s.cfg.ReplicationGroupID, i+1)
	}
	return ids
}

func (s *Server) primaryID() string {
	if ids := s.memberIDs(); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// snapshottingID is the cluster backups are taken from: a replica when
// there is one, as ElastiCache does.
func (s *Server) snapshottingID() string { return s.memberIDs()[min(1, s.cfg.NumReplicas)] }

func (s *Server) isMember(id string) bool { return slices.Contains(s.memberIDs(), id) }

// endpoint returns a member's address: the configured primary endpoint for
// the primary, "<cluster>.<primary host>" for replicas (resolvable only if
// the lab adds records for them).
func (s *Server) endpoint(clusterID string) xmlEndpoint {
	host, port, _ := splitHostPort(s.cfg.PrimaryEndpoint)
	if clusterID == s.primaryID() {
		return xmlEndpoint{Address: host, Port: port}
	}
	return xmlEndpoint{Address: clusterID + "." + host, Port: port}
}

func (s *Server) zoneOf(i int) string { return s.cfg.Region + string(rune('a'+i%3)) }

func (s *Server) arn(kind, id string) string {
	return fmt.Sprintf("arn:aws:elasticache:%s:%s:%s:%s", s.cfg.Region, s.cfg.AccountID, kind, id)
}

func enabled(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

func (s *Server) replicationGroup() xmlReplicationGroup {
	c := s.cfg
	host, port, _ := splitHostPort(c.PrimaryEndpoint)
	ng := xmlNodeGroup{
		NodeGroupID:     nodeGroupID,
		Status:          "available",
		PrimaryEndpoint: xmlEndpoint{Address: host, Port: port},
		ReaderEndpoint:  xmlEndpoint{Address: host, Port: port},
	}
	for i, id := range s.memberIDs() {
		role := "replica"
		if i == 0 {
			role = "primary"
		}
		ng.NodeGroupMembers = append(ng.NodeGroupMembers, xmlNodeGroupMember{
			CacheClusterID: id, CacheNodeID: cacheNodeID, ReadEndpoint: s.endpoint(id),
			PreferredAvailabilityZone: s.zoneOf(i), CurrentRole: role,
		})
	}
	rg := xmlReplicationGroup{
		ReplicationGroupID:         c.ReplicationGroupID,
		Description:                "cutover practice lab source",
		Status:                     "available",
		MemberClusters:             s.memberIDs(),
		NodeGroups:                 []xmlNodeGroup{ng},
		SnapshottingClusterID:      s.snapshottingID(),
		AutomaticFailover:          enabled(c.AutomaticFailover),
		MultiAZ:                    enabled(c.MultiAZ),
		SnapshotRetentionLimit:     c.SnapshotRetentionLimit,
		SnapshotWindow:             c.SnapshotWindow,
		ClusterMode:                "disabled",
		CacheNodeType:              c.NodeType,
		AuthTokenEnabled:           c.AuthTokenEnabled,
		TransitEncryptionEnabled:   c.TransitEncryption,
		AtRestEncryptionEnabled:    c.AtRestEncryption,
		ARN:                        s.arn("replicationgroup", c.ReplicationGroupID),
		UserGroupIDs:               c.UserGroupIDs,
		Engine:                     c.Engine,
		NetworkType:                "ipv4",
		IPDiscovery:                "ipv4",
		ReplicationGroupCreateTime: s.ec.created,
		AutoMinorVersionUpgrade:    true,
		DataTiering:                "disabled",
	}
	if c.TransitEncryption {
		rg.TransitEncryptionMode = "required"
	}
	if c.GlobalReplicationGroupID != "" {
		rg.GlobalReplicationGroupInfo = &xmlGlobalInfo{GlobalReplicationGroupID: c.GlobalReplicationGroupID, GlobalReplicationGroupMemberRole: "PRIMARY"}
	}
	return rg
}

func (s *Server) groupNotFound(id string) APIError {
	return APIError{Status: 404, Code: "ReplicationGroupNotFoundFault", Message: fmt.Sprintf("Replication group %s not found.", id)}
}

func (s *Server) clusterNotFound(id string) APIError {
	return APIError{Status: 404, Code: "CacheClusterNotFound", Message: fmt.Sprintf("Cache cluster %s not found.", id)}
}

func (s *Server) describeReplicationGroups(f url.Values) (any, error) {
	if id := f.Get("ReplicationGroupId"); id != "" && id != s.cfg.ReplicationGroupID {
		return nil, s.groupNotFound(id)
	}
	var all []xmlReplicationGroup
	if s.cfg.ReplicationGroupID != "" {
		all = append(all, s.replicationGroup())
	}
	groups, marker, err := page(all, f, 100, 20, 100)
	if err != nil {
		return nil, err
	}
	return struct {
		ReplicationGroups []xmlReplicationGroup `xml:"ReplicationGroups>ReplicationGroup"`
		Marker            string                `xml:"Marker,omitempty"`
	}{groups, marker}, nil
}

func (s *Server) cacheCluster(i int, id string, withNodes bool) xmlCacheCluster {
	c := s.cfg
	cc := xmlCacheCluster{
		CacheClusterID:             id,
		ReplicationGroupID:         c.ReplicationGroupID,
		CacheNodeType:              c.NodeType,
		Engine:                     c.Engine,
		EngineVersion:              c.EngineVersion,
		CacheClusterStatus:         "available",
		NumCacheNodes:              1,
		PreferredAvailabilityZone:  s.zoneOf(i),
		CacheClusterCreateTime:     s.ec.created,
		PreferredMaintenanceWindow: maintWindow,
		CacheParameterGroup:        xmlCacheParameterGroupStatus{CacheParameterGroupName: s.paramGroupName(), ParameterApplyStatus: "in-sync"},
		CacheSubnetGroupName:       subnetGroup,
		AutoMinorVersionUpgrade:    true,
		SnapshotRetentionLimit:     c.SnapshotRetentionLimit,
		SnapshotWindow:             c.SnapshotWindow,
		AuthTokenEnabled:           c.AuthTokenEnabled,
		TransitEncryptionEnabled:   c.TransitEncryption,
		AtRestEncryptionEnabled:    c.AtRestEncryption,
		ARN:                        s.arn("cluster", id),
		NetworkType:                "ipv4",
		IPDiscovery:                "ipv4",
	}
	if withNodes {
		cc.CacheNodes = []xmlCacheNode{{
			CacheNodeID: cacheNodeID, CacheNodeStatus: "available", CacheNodeCreateTime: s.ec.created,
			Endpoint: s.endpoint(id), ParameterGroupStatus: "in-sync", CustomerAvailabilityZone: s.zoneOf(i),
		}}
	}
	return cc
}

func (s *Server) describeCacheClusters(f url.Values) (any, error) {
	want := f.Get("CacheClusterId")
	if want != "" && !s.isMember(want) {
		return nil, s.clusterNotFound(want)
	}
	withNodes := strings.EqualFold(f.Get("ShowCacheNodeInfo"), "true")
	var all []xmlCacheCluster
	for i, id := range s.memberIDs() {
		if want == "" || want == id {
			all = append(all, s.cacheCluster(i, id, withNodes))
		}
	}
	clusters, marker, err := page(all, f, 100, 20, 100)
	if err != nil {
		return nil, err
	}
	return struct {
		CacheClusters []xmlCacheCluster `xml:"CacheClusters>CacheCluster"`
		Marker        string            `xml:"Marker,omitempty"`
	}{clusters, marker}, nil
}
