package awsstub

import (
	"fmt"
	"net/url"
	"strings"
)

// The simulated topology. Without Shards: one shard "0001"; member
// cluster -001 is the primary, -002... are replicas. With Shards (cluster
// mode): shard N's members are -000N-001 (its primary), -000N-002...
// Each member cluster has one node "0001".

const (
	cacheNodeID = "0001"
	subnetGroup = "lab-cache-subnets"
	maintWindow = "sun:23:00-mon:01:30"
)

// member is one member cluster of the group.
type member struct {
	id      string
	shard   int // index of its node group
	primary bool
	addr    xmlEndpoint
	zone    string
}

// members is empty in a serverless account, which has no group.
func (s *Server) members() []member {
	c := s.cfg
	if c.ReplicationGroupID == "" {
		return nil
	}
	var out []member
	if !s.clusterMode() {
		host, port, _ := splitHostPort(c.PrimaryEndpoint)
		for i := range c.NumReplicas + 1 {
			id := fmt.Sprintf("%s-%03d", c.ReplicationGroupID, i+1)
			m := member{id: id, primary: i == 0, addr: xmlEndpoint{Address: host, Port: port}, zone: s.zoneOf(i)}
			if i > 0 {
				// Resolvable only if the lab adds records for it.
				m.addr.Address = id + "." + host
			}
			out = append(out, m)
		}
		return out
	}
	for g, sh := range c.Shards {
		for i, n := range sh.Nodes {
			host, port, _ := splitHostPort(n)
			// Zones rotate per shard: a replica is never in its primary's zone.
			out = append(out, member{id: fmt.Sprintf("%s-%04d-%03d", c.ReplicationGroupID, g+1, i+1), shard: g,
				primary: i == 0, addr: xmlEndpoint{Address: host, Port: port}, zone: s.zoneOf(g + i)})
		}
	}
	return out
}

func (s *Server) memberIDs() []string {
	var ids []string
	for _, m := range s.members() {
		ids = append(ids, m.id)
	}
	return ids
}

func (s *Server) member(id string) (member, bool) {
	for _, m := range s.members() {
		if m.id == id {
			return m, true
		}
	}
	return member{}, false
}

func (s *Server) primaryID() string {
	if ms := s.members(); len(ms) > 0 {
		return ms[0].id
	}
	return ""
}

// snapshotting is the member a shard's backup is taken from: a replica
// when there is one, as ElastiCache does.
func (s *Server) snapshotting(shard int) string {
	id := ""
	for _, m := range s.members() {
		if m.shard != shard {
			continue
		}
		if !m.primary {
			return m.id
		}
		id = m.id
	}
	return id
}

func (s *Server) isMember(id string) bool { _, ok := s.member(id); return ok }

func (s *Server) zoneOf(i int) string { return s.cfg.Region + string(rune('a'+i%3)) }

// nodeGroupID names shard i: "0001", "0002", ...
func nodeGroupID(i int) string { return fmt.Sprintf("%04d", i+1) }

func (s *Server) arn(kind, id string) string {
	return fmt.Sprintf("arn:aws:elasticache:%s:%s:%s:%s", s.cfg.Region, s.cfg.AccountID, kind, id)
}

func enabled(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

func (s *Server) nodeGroups() []xmlNodeGroup {
	c := s.cfg
	n := max(len(c.Shards), 1)
	groups := make([]xmlNodeGroup, n)
	for i := range groups {
		groups[i] = xmlNodeGroup{NodeGroupID: nodeGroupID(i), Status: "available"}
		if s.clusterMode() {
			groups[i].Slots = c.Shards[i].Slots
		} else {
			host, port, _ := splitHostPort(c.PrimaryEndpoint)
			groups[i].PrimaryEndpoint = &xmlEndpoint{Address: host, Port: port}
			groups[i].ReaderEndpoint = &xmlEndpoint{Address: host, Port: port}
		}
	}
	for _, m := range s.members() {
		role := "replica"
		if m.primary {
			role = "primary"
		}
		groups[m.shard].NodeGroupMembers = append(groups[m.shard].NodeGroupMembers, xmlNodeGroupMember{
			CacheClusterID: m.id, CacheNodeID: cacheNodeID, ReadEndpoint: m.addr,
			PreferredAvailabilityZone: m.zone, CurrentRole: role,
		})
	}
	return groups
}

func (s *Server) replicationGroup() xmlReplicationGroup {
	c := s.cfg
	rg := xmlReplicationGroup{
		ReplicationGroupID:         c.ReplicationGroupID,
		Description:                "cutover practice lab source",
		Status:                     "available",
		MemberClusters:             s.memberIDs(),
		NodeGroups:                 s.nodeGroups(),
		SnapshottingClusterID:      s.snapshotting(0),
		AutomaticFailover:          enabled(c.AutomaticFailover),
		MultiAZ:                    enabled(c.MultiAZ),
		SnapshotRetentionLimit:     c.SnapshotRetentionLimit,
		SnapshotWindow:             c.SnapshotWindow,
		ClusterEnabled:             s.clusterMode(),
		ClusterMode:                enabled(s.clusterMode()),
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
	if s.clusterMode() {
		host, port, _ := splitHostPort(c.ConfigurationEndpoint)
		rg.ConfigurationEndpoint = &xmlEndpoint{Address: host, Port: port}
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

func (s *Server) cacheCluster(m member, withNodes bool) xmlCacheCluster {
	c := s.cfg
	cc := xmlCacheCluster{
		CacheClusterID:             m.id,
		ReplicationGroupID:         c.ReplicationGroupID,
		CacheNodeType:              c.NodeType,
		Engine:                     c.Engine,
		EngineVersion:              c.EngineVersion,
		CacheClusterStatus:         "available",
		NumCacheNodes:              1,
		PreferredAvailabilityZone:  m.zone,
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
		ARN:                        s.arn("cluster", m.id),
		NetworkType:                "ipv4",
		IPDiscovery:                "ipv4",
	}
	if withNodes {
		cc.CacheNodes = []xmlCacheNode{{
			CacheNodeID: cacheNodeID, CacheNodeStatus: "available", CacheNodeCreateTime: s.ec.created,
			Endpoint: m.addr, ParameterGroupStatus: "in-sync", CustomerAvailabilityZone: m.zone,
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
	for _, m := range s.members() {
		if want == "" || want == m.id {
			all = append(all, s.cacheCluster(m, withNodes))
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
