package probes

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/cutover/cutover/runbook"
)

// sourceUser is one ACL user of the source; skip says why the target
// needs not have it.
type sourceUser struct {
	aclUser
	skip string
	iam  bool // ElastiCache IAM authentication: no self-managed equivalent
}

// sourceUsers lists the source's ACL users, and says where from: the
// replication group's user groups, or the serverless cache's user group,
// for ElastiCache (passwords are never readable there), ACL LIST otherwise.
func sourceUsers(ctx context.Context, cfg *runbook.Config) ([]sourceUser, string, error) {
	if cfg.Source.ElastiCache() {
		return elastiCacheUsers(ctx, cfg)
	}
	c := sourceClient(cfg, "check")
	defer c.Close()
	lines, err := c.Do(ctx, "ACL", "LIST").StringSlice()
	if err != nil {
		return nil, "", fmt.Errorf("ACL LIST on the source: %s", Explain(err))
	}
	var out []sourceUser
	for _, l := range lines {
		if u, ok := parseACLUser(l); ok {
			out = append(out, sourceUser{aclUser: u, skip: skipReason(u, "")})
		}
	}
	return out, "ACL LIST on the source", nil
}

func elastiCacheUsers(ctx context.Context, cfg *runbook.Config) ([]sourceUser, string, error) {
	awsCfg, err := AWSConfig(ctx, cfg.AWS)
	if err != nil {
		return nil, "", err
	}
	ec := elastiCache(awsCfg, cfg.AWS)
	groups, owner, err := sourceUserGroups(ctx, ec, cfg.Source)
	if err != nil {
		return nil, "", err
	}
	if len(groups) == 0 {
		return nil, owner + " has no user groups", nil
	}
	out, err := groupUsers(ctx, ec, groups)
	if err != nil {
		return nil, "", err
	}
	return out, "user groups " + strings.Join(groups, ", ") + " of " + managedID(cfg.Source), nil
}

// sourceUserGroups are the user groups of the replication group, or the
// one of the serverless cache, and what owns them ("replication group X",
// "serverless cache X").
func sourceUserGroups(ctx context.Context, ec *elasticache.Client, src runbook.Endpoint) ([]string, string, error) {
	if src.Serverless() {
		sc, err := serverlessCache(ctx, ec, src.ServerlessCache)
		if err != nil {
			return nil, "", err
		}
		owner := "serverless cache " + managedID(src)
		if id := aws.ToString(sc.UserGroupId); id != "" {
			return []string{id}, owner, nil
		}
		return nil, owner, nil
	}
	rg, err := replicationGroup(ctx, ec, src.ReplicationGroup)
	if err != nil {
		return nil, "", err
	}
	return rg.UserGroupIds, "replication group " + managedID(src), nil
}

// managedID is an ElastiCache source's ID: its serverless cache's name or
// its replication group's ID.
func managedID(src runbook.Endpoint) string {
	if src.Serverless() {
		return src.ServerlessCache
	}
	return src.ReplicationGroup
}

// groupUsers are the users of the user groups, by name.
func groupUsers(ctx context.Context, ec *elasticache.Client, groups []string) ([]sourceUser, error) {
	ids := map[string]bool{}
	for _, g := range groups {
		members, err := userGroupMembers(ctx, ec, g)
		if err != nil {
			return nil, err
		}
		for _, id := range members {
			ids[id] = true
		}
	}
	users, err := describeUsers(ctx, ec)
	if err != nil {
		return nil, err
	}
	var out []sourceUser
	for _, eu := range users {
		if !ids[aws.ToString(eu.UserId)] {
			continue
		}
		u := parseACLRules(aws.ToString(eu.UserName), strings.Fields(aws.ToString(eu.AccessString)))
		var auth ectypes.AuthenticationType
		if eu.Authentication != nil {
			auth = eu.Authentication.Type
		}
		u.nopass = auth == ectypes.AuthenticationTypeNoPassword
		out = append(out, sourceUser{aclUser: u, iam: auth == ectypes.AuthenticationTypeIam, skip: skipReason(u, aws.ToString(eu.Status))})
	}
	slices.SortFunc(out, func(a, b sourceUser) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// skipReason says why a source user needs no twin on the target, or "".
func skipReason(u aclUser, status string) string {
	switch {
	case u.name == "default":
		return "the default user: its password is target.password_env or target.password_file (build.reachable, build.acl)"
	case status != "" && status != "active":
		return "status " + status + " on the source"
	case !u.on:
		return "off on the source: nobody can log in as it"
	}
	return ""
}

// userGroupMembers is the user IDs of one user group.
func userGroupMembers(ctx context.Context, ec *elasticache.Client, id string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, AWSTimeout)
	defer cancel()
	out, err := ec.DescribeUserGroups(ctx, &elasticache.DescribeUserGroupsInput{UserGroupId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("DescribeUserGroups %s: %s", id, ExplainAWS(err))
	}
	if len(out.UserGroups) == 0 {
		return nil, fmt.Errorf("user group %s of the source not found", id)
	}
	return out.UserGroups[0].UserIds, nil
}

// describeUsers is every ElastiCache user of the account and region.
func describeUsers(ctx context.Context, ec *elasticache.Client) ([]ectypes.User, error) {
	var all []ectypes.User
	pages := elasticache.NewDescribeUsersPaginator(ec, &elasticache.DescribeUsersInput{})
	for pages.HasMorePages() {
		pctx, cancel := context.WithTimeout(ctx, AWSTimeout)
		out, err := pages.NextPage(pctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("DescribeUsers: %s", ExplainAWS(err))
		}
		all = append(all, out.Users...)
	}
	return all, nil
}
