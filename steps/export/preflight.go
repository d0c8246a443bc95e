package export

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// CanonicalID is the canonical user ElastiCache exports with in the AWS
// regions enabled by default.
const CanonicalID = "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353"

// aclPermissions are what the bucket ACL must grant CanonicalID: "List
// objects", "Write objects" and "Read bucket permissions".
var aclPermissions = []types.Permission{types.PermissionRead, types.PermissionWrite, types.PermissionReadAcp}

// policyActions are what a bucket policy must allow the ElastiCache
// snapshot service principal in an opt-in region.
var policyActions = []string{"s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:GetBucketAcl", "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads"}

// optInRegions must be enabled per account; ElastiCache exports there need a
// bucket policy instead of the ACL grant.
var optInRegions = []string{"af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
	"ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2",
	"il-central-1", "me-central-1", "me-south-1", "mx-central-1"}

func optIn(region string) bool { return slices.Contains(optInRegions, region) }

// servicePrincipal is the principal a bucket policy names in an opt-in region.
func servicePrincipal(region string) string { return region + ".elasticache-snapshot.amazonaws.com" }

// preflight checks the bucket before CopySnapshot: its region, the access
// ElastiCache needs, and the caller's own permissions. Each failed row's
// Want says what to add.
func preflight(ctx context.Context, api *s3.Client, bucket, region string) ([]runbook.Evidence, error) {
	var ev []runbook.Evidence
	loc, err := bucketRegion(ctx, api, bucket)
	switch {
	case probes.IsAWSCode(err, "NoSuchBucket"):
		return append(ev, runbook.Evidence{Name: "bucket", Value: bucket + " does not exist", Want: "create s3://" + bucket + " in " + region, OK: false}), nil
	case probes.IsAWSCode(err, "AccessDenied"):
		return append(ev, runbook.Evidence{Name: "s3:GetBucketLocation", Value: "denied", Want: "allow the caller s3:GetBucketLocation on " + bucket + " (CopySnapshot needs it)", OK: false}), nil
	case err != nil:
		return nil, s3Err("GetBucketLocation", err)
	}
	ev = append(ev, runbook.Evidence{Name: "bucket region", Value: loc, Want: region + " (aws.region: an export stays in its region)", OK: loc == region})

	_, err = call(ctx, func(ctx context.Context) (*s3.ListBucketsOutput, error) {
		return api.ListBuckets(ctx, &s3.ListBucketsInput{})
	})
	switch {
	case probes.IsAWSCode(err, "AccessDenied"):
		ev = append(ev, runbook.Evidence{Name: "s3:ListAllMyBuckets", Value: "denied", Want: "allow the caller s3:ListAllMyBuckets (CopySnapshot needs it)", OK: false})
	case err != nil:
		return nil, s3Err("ListBuckets", err)
	default:
		ev = append(ev, runbook.Evidence{Name: "s3:ListAllMyBuckets", Value: "allowed", OK: true})
	}

	grant, err := exportGrant(ctx, api, bucket, loc)
	if err != nil {
		return nil, err
	}
	return append(ev, grant), nil
}

// bucketRegion is GetBucketLocation's answer as a region name.
func bucketRegion(ctx context.Context, api *s3.Client, bucket string) (string, error) {
	out, err := call(ctx, func(ctx context.Context) (*s3.GetBucketLocationOutput, error) {
		return api.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	})
	if err != nil {
		return "", err
	}
	switch loc := string(out.LocationConstraint); loc {
	case "":
		return "us-east-1", nil
	case "EU":
		return "eu-west-1", nil
	default:
		return loc, nil
	}
}

// exportGrant checks the bucket grants ElastiCache export access: the ACL
// grant to CanonicalID in default regions, a bucket policy for the
// service principal in opt-in regions (either is accepted in a default
// region).
func exportGrant(ctx context.Context, api *s3.Client, bucket, region string) (runbook.Evidence, error) {
	if !optIn(region) {
		acl, err := call(ctx, func(ctx context.Context) (*s3.GetBucketAclOutput, error) {
			return api.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
		})
		if err != nil && !probes.IsAWSCode(err, "AccessDenied") {
			return runbook.Evidence{}, s3Err("GetBucketAcl", err)
		}
		if err == nil {
			if missing := missingACL(acl.Grants); len(missing) == 0 {
				return runbook.Evidence{Name: "ElastiCache access", Value: "ACL grants " + shortID() + " READ, WRITE, READ_ACP", OK: true}, nil
			}
		}
	}
	policy, err := call(ctx, func(ctx context.Context) (*s3.GetBucketPolicyOutput, error) {
		return api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	})
	if err != nil && !probes.IsAWSCode(err, "NoSuchBucketPolicy") && !probes.IsAWSCode(err, "AccessDenied") {
		return runbook.Evidence{}, s3Err("GetBucketPolicy", err)
	}
	if err == nil {
		if missing := missingPolicy(aws.ToString(policy.Policy), region); len(missing) == 0 {
			return runbook.Evidence{Name: "ElastiCache access", Value: "bucket policy allows " + servicePrincipal(region), OK: true}, nil
		}
	}
	if optIn(region) {
		return runbook.Evidence{Name: "ElastiCache access", Value: "no bucket policy for " + servicePrincipal(region), OK: false,
			Want: fmt.Sprintf("a bucket policy statement: Allow, Principal {\"Service\": %q}, Action %s, Resource arn:aws:s3:::%s and arn:aws:s3:::%s/*",
				servicePrincipal(region), strings.Join(policyActions, ", "), bucket, bucket)}, nil
	}
	return runbook.Evidence{Name: "ElastiCache access", Value: "the bucket ACL does not grant ElastiCache", OK: false,
		Want: fmt.Sprintf("an ACL grant to canonical ID %s of List objects, Write objects and Read bucket permissions (READ, WRITE, READ_ACP)", CanonicalID)}, nil
}

func shortID() string { return CanonicalID[:12] + "..." }

// missingACL lists the permissions CanonicalID lacks.
func missingACL(grants []types.Grant) []types.Permission {
	have := map[types.Permission]bool{}
	for _, g := range grants {
		if g.Grantee != nil && aws.ToString(g.Grantee.ID) == CanonicalID {
			have[g.Permission] = true
		}
	}
	if have[types.PermissionFullControl] {
		return nil
	}
	var missing []types.Permission
	for _, p := range aclPermissions {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	return missing
}

// statement is the part of a policy statement the check reads. Principal
// services and Action may each be a string or a list.
type statement struct {
	Effect    string
	Principal json.RawMessage
	Action    json.RawMessage
}

// missingPolicy lists the actions no Allow statement for the service
// principal grants.
func missingPolicy(doc, region string) []string {
	var p struct{ Statement json.RawMessage }
	if json.Unmarshal([]byte(doc), &p) != nil {
		return policyActions
	}
	// Statement is a list, or a single statement.
	var sts []statement
	if json.Unmarshal(p.Statement, &sts) != nil {
		var one statement
		if json.Unmarshal(p.Statement, &one) != nil {
			return policyActions
		}
		sts = []statement{one}
	}
	allowed := map[string]bool{}
	for _, st := range sts {
		if st.Effect != "Allow" || !principalIs(st.Principal, region) {
			continue
		}
		for _, a := range stringList(st.Action) {
			allowed[strings.ToLower(a)] = true
		}
	}
	var missing []string
	for _, a := range policyActions {
		if !allowed[strings.ToLower(a)] && !allowed["s3:*"] && !allowed["*"] {
			missing = append(missing, a)
		}
	}
	return missing
}

func principalIs(raw json.RawMessage, region string) bool {
	var p struct{ Service json.RawMessage }
	if json.Unmarshal(raw, &p) != nil {
		return false
	}
	for _, s := range stringList(p.Service) {
		if s == servicePrincipal(region) || s == "elasticache-snapshot.amazonaws.com" {
			return true
		}
	}
	return false
}

// stringList reads a JSON string or list of strings.
func stringList(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}
