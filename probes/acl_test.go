package probes

import (
	"strings"
	"testing"
)

// Rules that ACL LIST shows differently from how they were written compare
// equal; order matters only among command rules.
func TestACLPerms(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"on ~* +@all -@dangerous", "on #abc ~* resetchannels +@all -@dangerous", true},
		{"on ~report:* +@read", "on #abc ~report:* resetchannels -@all +@read", true},
		{"on allkeys allchannels allcommands", "on ~* &* +@all", true},
		{"on ~a ~b +get", "on ~b ~a +get", true},
		{"on %RW~x +get", "on ~x +get", true},
		{"on ~* +@all -@dangerous", "on ~* -@dangerous +@all", false},
		{"on ~* +@read", "on ~report:* +@read", false},
		{"on ~* &news +@all", "on ~* +@all", false},
		{"on ~old reset ~* +@all", "on ~* +@all", true},
	} {
		a, b := parseACLRules("u", strings.Fields(c.a)), parseACLRules("u", strings.Fields(c.b))
		if got := a.perms() == b.perms(); got != c.same {
			t.Errorf("%q vs %q: same %v, want %v (%v / %v)", c.a, c.b, got, c.same, a.perms(), b.perms())
		}
	}
}

func TestSetUserLine(t *testing.T) {
	u := parseACLRules("app", strings.Fields("on #deadbeef ~* +@all"))
	if got := u.setUser("***", false); got != "ACL SETUSER app on >*** ~* +@all" {
		t.Errorf("got %q", got)
	}
	n := parseACLRules("bot", strings.Fields("on nopass ~q:* +@list"))
	if got := n.setUser("***", true); got != "ACL SETUSER bot reset on nopass ~q:* +@list" {
		t.Errorf("got %q", got)
	}
}
