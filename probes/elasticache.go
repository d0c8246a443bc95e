package probes

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/smithy-go"
)

// replicationGroup describes one replication group.
func replicationGroup(ctx context.Context, ec *elasticache.Client, id string) (ectypes.ReplicationGroup, error) {
	ctx, cancel := context.WithTimeout(ctx, AWSTimeout)
	defer cancel()
	out, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})
	if err != nil {
		var nf *ectypes.ReplicationGroupNotFoundFault
		if errors.As(err, &nf) {
			return ectypes.ReplicationGroup{}, fmt.Errorf("replication group %q not found (check source.replication_group and aws.region)", id)
		}
		return ectypes.ReplicationGroup{}, fmt.Errorf("DescribeReplicationGroups %s: %s", id, ExplainAWS(err))
	}
	if len(out.ReplicationGroups) == 0 {
		return ectypes.ReplicationGroup{}, fmt.Errorf("replication group %q not found (check source.replication_group and aws.region)", id)
	}
	return out.ReplicationGroups[0], nil
}

// PrimaryClusterID is the member cluster (node) that is the primary of
// the replication group's first shard: the node CloudWatch metrics of
// the primary are reported under.
func PrimaryClusterID(ctx context.Context, ec *elasticache.Client, groupID string) (string, error) {
	rg, err := replicationGroup(ctx, ec, groupID)
	if err != nil {
		return "", err
	}
	return primaryMember(rg)
}

func primaryMember(rg ectypes.ReplicationGroup) (string, error) {
	for _, ng := range rg.NodeGroups {
		for _, m := range ng.NodeGroupMembers {
			if aws.ToString(m.CurrentRole) == "primary" {
				return aws.ToString(m.CacheClusterId), nil
			}
		}
	}
	// Cluster mode reports no roles: take the first member.
	if len(rg.MemberClusters) > 0 {
		return rg.MemberClusters[0], nil
	}
	return "", fmt.Errorf("replication group %s has no member clusters yet: wait until its status is available, or check source.replication_group", aws.ToString(rg.ReplicationGroupId))
}

// ExplainAWS is one line for an AWS API error: its code and message.
func ExplainAWS(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	if isTimeout(err) {
		return "timed out (is aws.endpoint or the network reachable?)"
	}
	return firstLine(err.Error())
}
