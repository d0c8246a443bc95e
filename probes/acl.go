package probes

import (
	"fmt"
	"slices"
	"strings"
)

// aclUser is one ACL user: a line of ACL LIST ("user NAME on|off [nopass]
// #hash ~keys &channels +@cmds") or an ElastiCache access string.
type aclUser struct {
	name      string
	on        bool
	nopass    bool
	passwords int
	rules     []string // key, channel and command rules, in order
}

func parseACLUser(line string) (aclUser, bool) {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "user" {
		return aclUser{}, false
	}
	return parseACLRules(f[1], f[2:]), true
}

// parseACLRules reads the words after the name; passwords are only
// counted, never kept.
func parseACLRules(name string, words []string) aclUser {
	u := aclUser{name: name}
	for _, r := range words {
		switch {
		case r == "on":
			u.on = true
		case r == "off":
			u.on = false
		case r == "nopass":
			u.nopass = true
		case strings.HasPrefix(r, "#"), strings.HasPrefix(r, ">"):
			u.passwords++ // a hash, never shown
		default:
			u.rules = append(u.rules, r)
		}
	}
	return u
}

func (u aclUser) describe() string {
	if u.name == "" {
		return "missing"
	}
	state := "off"
	if u.on {
		state = "on"
	}
	switch {
	case u.nopass:
		state += ", nopass"
	case u.passwords > 0:
		state += fmt.Sprintf(", %d password(s)", u.passwords)
	default:
		state += ", no password (cannot log in)"
	}
	if len(u.rules) > 0 {
		state += ", " + strings.Join(u.rules, " ")
	}
	return state
}

// perms are a user's rules in one form for comparing, as ACL LIST
// normalizes them: key and channel patterns as sorted sets, command rules
// in order (a leading -@all, where every user starts, left out).
type perms struct{ keys, channels, commands string }

func (u aclUser) perms() perms {
	var keys, channels, commands []string
	for _, r := range u.rules {
		switch r {
		case "allkeys":
			r = "~*"
		case "allchannels":
			r = "&*"
		case "allcommands":
			r = "+@all"
		case "nocommands":
			r = "-@all"
		}
		switch {
		case r == "reset":
			keys, channels, commands = nil, nil, nil
		case r == "resetkeys":
			keys = nil
		case r == "resetchannels":
			channels = nil
		case strings.HasPrefix(r, "%RW~"):
			keys = append(keys, r[3:])
		case strings.HasPrefix(r, "~"), strings.HasPrefix(r, "%"):
			keys = append(keys, r)
		case strings.HasPrefix(r, "&"):
			channels = append(channels, r)
		default:
			commands = append(commands, r)
		}
	}
	if len(commands) > 0 && commands[0] == "-@all" {
		commands = commands[1:]
	}
	set := func(xs []string) string {
		xs = slices.Clone(xs)
		slices.Sort(xs)
		return strings.Join(slices.Compact(xs), " ")
	}
	return perms{keys: set(keys), channels: set(channels), commands: strings.Join(commands, " ")}
}

// String is the perms as ACL rules, for the evidence.
func (p perms) String() string {
	var parts []string
	for _, s := range []string{p.keys, p.channels, p.commands} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "no keys, channels or commands"
	}
	return strings.Join(parts, " ")
}

// setUser is the ACL SETUSER line that gives the target this user; pw
// stands in for the password (nopass users get nopass).
func (u aclUser) setUser(pw string, reset bool) string {
	words := []string{"ACL SETUSER", u.name}
	if reset {
		words = append(words, "reset")
	}
	state := "off"
	if u.on {
		state = "on"
	}
	words = append(words, state)
	if u.nopass {
		words = append(words, "nopass")
	} else {
		words = append(words, ">"+pw)
	}
	return strings.Join(append(words, u.rules...), " ")
}
