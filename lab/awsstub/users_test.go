package awsstub

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
)

// The user groups and their users read back through the real SDK: the
// default user is in every group; passwords are only counted.
func TestDescribeUsersAndGroups(t *testing.T) {
	l := newLab(t, func(c *Config) {
		c.UserGroupIDs = []string{"lab-users"}
		c.Users = []User{{ID: "app", AccessString: "on ~* +@all -@dangerous"}, {ID: "iam-ro", Name: "reader", AccessString: "on ~* +@read", Auth: "iam"}}
	})
	ctx := ctxT(t)
	groups, err := l.ec.DescribeUserGroups(ctx, &elasticache.DescribeUserGroupsInput{UserGroupId: aws.String("lab-users")})
	must(t, err)
	if len(groups.UserGroups) != 1 || !slices.Equal(groups.UserGroups[0].UserIds, []string{"default", "app", "iam-ro"}) ||
		!slices.Equal(groups.UserGroups[0].ReplicationGroups, []string{"lab-cache"}) || aws.ToString(groups.UserGroups[0].Status) != "active" {
		t.Fatalf("user groups %+v", groups.UserGroups)
	}
	users, err := l.ec.DescribeUsers(ctx, &elasticache.DescribeUsersInput{})
	must(t, err)
	if len(users.Users) != 3 {
		t.Fatalf("%d users", len(users.Users))
	}
	app := users.Users[1]
	if aws.ToString(app.UserName) != "app" || aws.ToString(app.AccessString) != "on ~* +@all -@dangerous" || aws.ToString(app.Status) != "active" ||
		app.Authentication.Type != types.AuthenticationTypePassword || aws.ToInt32(app.Authentication.PasswordCount) != 1 ||
		!slices.Equal(app.UserGroupIds, []string{"lab-users"}) {
		t.Errorf("app %+v %+v", app, app.Authentication)
	}
	if d := users.Users[0]; aws.ToString(d.UserName) != "default" || d.Authentication.Type != types.AuthenticationTypeNoPassword {
		t.Errorf("default %+v", d)
	}
	if r := users.Users[2]; aws.ToString(r.UserName) != "reader" || r.Authentication.Type != types.AuthenticationTypeIam {
		t.Errorf("reader %+v", r)
	}

	_, err = l.ec.DescribeUserGroups(ctx, &elasticache.DescribeUserGroupsInput{UserGroupId: aws.String("nope")})
	var gnf *types.UserGroupNotFoundFault
	if !errors.As(err, &gnf) {
		t.Errorf("unknown group: %v", err)
	}
	_, err = l.ec.DescribeUsers(ctx, &elasticache.DescribeUsersInput{UserId: aws.String("nope")})
	var unf *types.UserNotFoundFault
	if !errors.As(err, &unf) {
		t.Errorf("unknown user: %v", err)
	}
}
