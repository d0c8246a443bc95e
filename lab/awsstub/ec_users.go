package awsstub

import (
	"fmt"
	"net/url"
	"slices"
)

// User is an ElastiCache RBAC user. The API never returns passwords; an
// access string is what ACL SETUSER takes after the name.
type User struct {
	ID           string // the user ID
	Name         string // the Redis user name; default ID
	AccessString string // e.g. "on ~* +@all -@dangerous"
	Auth         string // "password" (default), "no-password" or "iam"
	Status       string // default "active"
}

// defaultUser is the user named default that ElastiCache puts in every
// user group.
var defaultUser = User{ID: "default", Name: "default", AccessString: "on ~* +@all", Auth: "no-password", Status: "active"}

// users are the account's users: the default user and the configured ones.
func (s *Server) users() []User {
	out := []User{defaultUser}
	for _, u := range s.cfg.Users {
		if u.Name == "" {
			u.Name = u.ID
		}
		if u.Auth == "" {
			u.Auth = "password"
		}
		if u.Status == "" {
			u.Status = "active"
		}
		out = append(out, u)
	}
	return out
}

type xmlAuthentication struct {
	PasswordCount int    `xml:"PasswordCount"`
	Type          string `xml:"Type"`
}

type xmlUser struct {
	ARN                  string            `xml:"ARN"`
	AccessString         string            `xml:"AccessString"`
	Authentication       xmlAuthentication `xml:"Authentication"`
	Engine               string            `xml:"Engine"`
	MinimumEngineVersion string            `xml:"MinimumEngineVersion"`
	Status               string            `xml:"Status"`
	UserGroupIDs         []string          `xml:"UserGroupIds>member"`
	UserID               string            `xml:"UserId"`
	UserName             string            `xml:"UserName"`
}

type xmlUserGroup struct {
	ARN                  string   `xml:"ARN"`
	Engine               string   `xml:"Engine"`
	MinimumEngineVersion string   `xml:"MinimumEngineVersion"`
	ReplicationGroups    []string `xml:"ReplicationGroups>member"`
	ServerlessCaches     []string `xml:"ServerlessCaches>member"`
	Status               string   `xml:"Status"`
	UserGroupID          string   `xml:"UserGroupId"`
	UserIDs              []string `xml:"UserIds>member"`
}

func (s *Server) describeUserGroups(f url.Values) (any, error) {
	want := f.Get("UserGroupId")
	if want != "" && !slices.Contains(s.cfg.UserGroupIDs, want) {
		return nil, APIError{Status: 404, Code: "UserGroupNotFound", Message: fmt.Sprintf("User group %s not found.", want)}
	}
	var ids []string
	for _, u := range s.users() {
		ids = append(ids, u.ID)
	}
	var all []xmlUserGroup
	for _, g := range s.cfg.UserGroupIDs {
		if want == "" || want == g {
			ug := xmlUserGroup{ARN: s.arn("usergroup", g), Engine: s.cfg.Engine, MinimumEngineVersion: "6.0",
				Status: "active", UserGroupID: g, UserIDs: ids}
			if s.cfg.Serverless != nil {
				ug.ServerlessCaches = []string{s.cfg.Serverless.Name}
			} else {
				ug.ReplicationGroups = []string{s.cfg.ReplicationGroupID}
			}
			all = append(all, ug)
		}
	}
	groups, marker, err := page(all, f, 100, 20, 100)
	if err != nil {
		return nil, err
	}
	return struct {
		UserGroups []xmlUserGroup `xml:"UserGroups>member"`
		Marker     string         `xml:"Marker,omitempty"`
	}{groups, marker}, nil
}

func (s *Server) describeUsers(f url.Values) (any, error) {
	want := f.Get("UserId")
	var all []xmlUser
	for _, u := range s.users() {
		if want != "" && want != u.ID {
			continue
		}
		xu := xmlUser{ARN: s.arn("user", u.ID), AccessString: u.AccessString, Authentication: xmlAuthentication{Type: u.Auth},
			Engine: s.cfg.Engine, MinimumEngineVersion: "6.0", Status: u.Status, UserGroupIDs: s.cfg.UserGroupIDs, UserID: u.ID, UserName: u.Name}
		if u.Auth == "password" {
			xu.Authentication.PasswordCount = 1
		}
		all = append(all, xu)
	}
	if want != "" && len(all) == 0 {
		return nil, APIError{Status: 404, Code: "UserNotFound", Message: fmt.Sprintf("User %s not found.", want)}
	}
	users, marker, err := page(all, f, 100, 20, 100)
	if err != nil {
		return nil, err
	}
	return struct {
		Users  []xmlUser `xml:"Users>member"`
		Marker string    `xml:"Marker,omitempty"`
	}{users, marker}, nil
}
