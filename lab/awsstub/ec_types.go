package awsstub

import "time"

// XML shapes of the ElastiCache answers, with the model's element names
// (checked against the SDK's response snapshots for service/elasticache).

type xmlEndpoint struct {
	Address string `xml:"Address"`
	Port    int    `xml:"Port"`
}

type xmlNodeGroupMember struct {
	CacheClusterID            string      `xml:"CacheClusterId"`
	CacheNodeID               string      `xml:"CacheNodeId"`
	ReadEndpoint              xmlEndpoint `xml:"ReadEndpoint"`
	PreferredAvailabilityZone string      `xml:"PreferredAvailabilityZone"`
	CurrentRole               string      `xml:"CurrentRole"`
}

type xmlNodeGroup struct {
	NodeGroupID      string               `xml:"NodeGroupId"`
	Status           string               `xml:"Status"`
	Slots            string               `xml:"Slots,omitempty"`
	PrimaryEndpoint  *xmlEndpoint         `xml:"PrimaryEndpoint,omitempty"`
	ReaderEndpoint   *xmlEndpoint         `xml:"ReaderEndpoint,omitempty"`
	NodeGroupMembers []xmlNodeGroupMember `xml:"NodeGroupMembers>NodeGroupMember"`
}

type xmlGlobalInfo struct {
	GlobalReplicationGroupID         string `xml:"GlobalReplicationGroupId"`
	GlobalReplicationGroupMemberRole string `xml:"GlobalReplicationGroupMemberRole"`
}

type xmlReplicationGroup struct {
	ReplicationGroupID         string         `xml:"ReplicationGroupId"`
	Description                string         `xml:"Description"`
	GlobalReplicationGroupInfo *xmlGlobalInfo `xml:"GlobalReplicationGroupInfo,omitempty"`
	Status                     string         `xml:"Status"`
	MemberClusters             []string       `xml:"MemberClusters>ClusterId"`
	NodeGroups                 []xmlNodeGroup `xml:"NodeGroups>NodeGroup"`
	ConfigurationEndpoint      *xmlEndpoint   `xml:"ConfigurationEndpoint,omitempty"`
	SnapshottingClusterID      string         `xml:"SnapshottingClusterId"`
	AutomaticFailover          string         `xml:"AutomaticFailover"`
	MultiAZ                    string         `xml:"MultiAZ"`
	SnapshotRetentionLimit     int            `xml:"SnapshotRetentionLimit"`
	SnapshotWindow             string         `xml:"SnapshotWindow,omitempty"`
	ClusterEnabled             bool           `xml:"ClusterEnabled"`
	ClusterMode                string         `xml:"ClusterMode"`
	CacheNodeType              string         `xml:"CacheNodeType"`
	AuthTokenEnabled           bool           `xml:"AuthTokenEnabled"`
	TransitEncryptionEnabled   bool           `xml:"TransitEncryptionEnabled"`
	TransitEncryptionMode      string         `xml:"TransitEncryptionMode,omitempty"`
	AtRestEncryptionEnabled    bool           `xml:"AtRestEncryptionEnabled"`
	ARN                        string         `xml:"ARN"`
	UserGroupIDs               []string       `xml:"UserGroupIds>member,omitempty"`
	Engine                     string         `xml:"Engine"`
	NetworkType                string         `xml:"NetworkType"`
	IPDiscovery                string         `xml:"IpDiscovery"`
	ReplicationGroupCreateTime time.Time      `xml:"ReplicationGroupCreateTime"`
	AutoMinorVersionUpgrade    bool           `xml:"AutoMinorVersionUpgrade"`
	DataTiering                string         `xml:"DataTiering"`
}

type xmlCacheNode struct {
	CacheNodeID              string      `xml:"CacheNodeId"`
	CacheNodeStatus          string      `xml:"CacheNodeStatus"`
	CacheNodeCreateTime      time.Time   `xml:"CacheNodeCreateTime"`
	Endpoint                 xmlEndpoint `xml:"Endpoint"`
	ParameterGroupStatus     string      `xml:"ParameterGroupStatus"`
	CustomerAvailabilityZone string      `xml:"CustomerAvailabilityZone"`
}

type xmlCacheParameterGroupStatus struct {
	CacheParameterGroupName string `xml:"CacheParameterGroupName"`
	ParameterApplyStatus    string `xml:"ParameterApplyStatus"`
}

type xmlCacheCluster struct {
	CacheClusterID             string                       `xml:"CacheClusterId"`
	ReplicationGroupID         string                       `xml:"ReplicationGroupId"`
	CacheNodeType              string                       `xml:"CacheNodeType"`
	Engine                     string                       `xml:"Engine"`
	EngineVersion              string                       `xml:"EngineVersion"`
	CacheClusterStatus         string                       `xml:"CacheClusterStatus"`
	NumCacheNodes              int                          `xml:"NumCacheNodes"`
	PreferredAvailabilityZone  string                       `xml:"PreferredAvailabilityZone"`
	CacheClusterCreateTime     time.Time                    `xml:"CacheClusterCreateTime"`
	PreferredMaintenanceWindow string                       `xml:"PreferredMaintenanceWindow"`
	CacheParameterGroup        xmlCacheParameterGroupStatus `xml:"CacheParameterGroup"`
	CacheSubnetGroupName       string                       `xml:"CacheSubnetGroupName"`
	CacheNodes                 []xmlCacheNode               `xml:"CacheNodes>CacheNode,omitempty"`
	AutoMinorVersionUpgrade    bool                         `xml:"AutoMinorVersionUpgrade"`
	SnapshotRetentionLimit     int                          `xml:"SnapshotRetentionLimit"`
	SnapshotWindow             string                       `xml:"SnapshotWindow,omitempty"`
	AuthTokenEnabled           bool                         `xml:"AuthTokenEnabled"`
	TransitEncryptionEnabled   bool                         `xml:"TransitEncryptionEnabled"`
	AtRestEncryptionEnabled    bool                         `xml:"AtRestEncryptionEnabled"`
	ARN                        string                       `xml:"ARN"`
	NetworkType                string                       `xml:"NetworkType"`
	IPDiscovery                string                       `xml:"IpDiscovery"`
}

type xmlParameter struct {
	ParameterName        string `xml:"ParameterName"`
	ParameterValue       string `xml:"ParameterValue,omitempty"`
	Description          string `xml:"Description"`
	Source               string `xml:"Source"`
	DataType             string `xml:"DataType"`
	AllowedValues        string `xml:"AllowedValues,omitempty"`
	IsModifiable         bool   `xml:"IsModifiable"`
	MinimumEngineVersion string `xml:"MinimumEngineVersion"`
	ChangeType           string `xml:"ChangeType"`
}

type xmlNodeSnapshot struct {
	CacheClusterID      string     `xml:"CacheClusterId"`
	NodeGroupID         string     `xml:"NodeGroupId"`
	CacheNodeID         string     `xml:"CacheNodeId"`
	CacheSize           string     `xml:"CacheSize,omitempty"`
	CacheNodeCreateTime time.Time  `xml:"CacheNodeCreateTime"`
	SnapshotCreateTime  *time.Time `xml:"SnapshotCreateTime,omitempty"`
}

type xmlSnapshot struct {
	SnapshotName                string            `xml:"SnapshotName"`
	ReplicationGroupID          string            `xml:"ReplicationGroupId"`
	ReplicationGroupDescription string            `xml:"ReplicationGroupDescription"`
	CacheClusterID              string            `xml:"CacheClusterId"`
	SnapshotStatus              string            `xml:"SnapshotStatus"`
	SnapshotSource              string            `xml:"SnapshotSource"`
	CacheNodeType               string            `xml:"CacheNodeType"`
	Engine                      string            `xml:"Engine"`
	EngineVersion               string            `xml:"EngineVersion"`
	NumCacheNodes               int               `xml:"NumCacheNodes"`
	PreferredAvailabilityZone   string            `xml:"PreferredAvailabilityZone"`
	CacheClusterCreateTime      time.Time         `xml:"CacheClusterCreateTime"`
	PreferredMaintenanceWindow  string            `xml:"PreferredMaintenanceWindow"`
	Port                        int               `xml:"Port"`
	CacheParameterGroupName     string            `xml:"CacheParameterGroupName"`
	CacheSubnetGroupName        string            `xml:"CacheSubnetGroupName"`
	AutoMinorVersionUpgrade     bool              `xml:"AutoMinorVersionUpgrade"`
	SnapshotRetentionLimit      int               `xml:"SnapshotRetentionLimit"`
	SnapshotWindow              string            `xml:"SnapshotWindow,omitempty"`
	NumNodeGroups               int               `xml:"NumNodeGroups"`
	AutomaticFailover           string            `xml:"AutomaticFailover"`
	NodeSnapshots               []xmlNodeSnapshot `xml:"NodeSnapshots>NodeSnapshot"`
	ARN                         string            `xml:"ARN"`
	DataTiering                 string            `xml:"DataTiering"`
}
