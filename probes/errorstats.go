package probes

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// cutoverError is an error reply that typically starts right after a
// cache moves, with what it means and the fix.
type cutoverError struct{ name, means, fix string }

// cutoverErrors are the INFO errorstats counters whose growth after the
// swap fails cutover.watch.
var cutoverErrors = []cutoverError{
	{"NOAUTH", "clients send commands without authenticating: they have no password for the target",
		"give every application the target's password (or ACL user) and restart it"},
	{"WRONGPASS", "clients authenticate with a wrong password or user (still the source's AUTH token?)",
		"deploy the target's credentials to the application and restart it"},
	{"NOPERM", "an ACL user lacks a command, key pattern or channel the application uses",
		"ACL SETUSER <user> with the missing +command / ~pattern / &channel on the target (build.acl)"},
	{"NOSCRIPT", "EVALSHA of a script the target never loaded: scripts live in server memory and do not move with the data",
		"SCRIPT LOAD each script the application calls on the target, or let the client fall back to EVAL"},
	{"READONLY", "writes reach a replica: a client was pointed at a replica, or its server was demoted by a failover",
		"point writers at the primary (the CNAME or the sentinel master name) and restart the ones still on a replica"},
	{"CROSSSLOT", "multi-key commands over keys in different hash slots: the target is a cluster and the source was not",
		"keep related keys in one slot with {hash tags}, or split the commands"},
	{"OOM", "writes refused: maxmemory is reached and the policy does not evict",
		"raise maxmemory or set the source's maxmemory-policy on the target (build.memory)"},
}

// errorCounts reads the errorstat_<NAME>:count=N fields of INFO.
func errorCounts(in Info) map[string]int64 { return statCounts(in, "errorstat_", "count") }

// statCounts reads the <prefix><name>:<field>=N,... fields of INFO
// (errorstats, commandstats), by name.
func statCounts(in Info, prefix, field string) map[string]int64 {
	m := map[string]int64{}
	for k, v := range in.Raw {
		name, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(fields(v)[field], 10, 64); err == nil {
			m[name] = n
		}
	}
	return m
}

// errorGrowth is how much each counter grew from start to now. A counter
// below its start value was reset (a restart or CONFIG RESETSTAT): all of
// it is new.
func errorGrowth(start, now map[string]int64) map[string]int64 {
	g := map[string]int64{}
	for k, n := range now {
		d := n - start[k]
		if d < 0 {
			d = n
		}
		if d > 0 {
			g[k] = d
		}
	}
	return g
}

// errorRows records the growth of every cutover error (a row each, with
// what it means) and of any other error that grew; it returns the failure
// naming the cutover errors that grew and their fixes, or "".
func (p *proof) errorRows(start, now map[string]int64) string {
	grown := errorGrowth(start, now)
	var bad []string
	listed := map[string]bool{}
	for _, e := range cutoverErrors {
		listed[e.name] = true
		n := grown[e.name]
		v := "+0"
		if n > 0 {
			v = fmt.Sprintf("+%d: %s", n, e.means)
			bad = append(bad, fmt.Sprintf("%s +%d (%s; fix: %s)", e.name, n, e.means, e.fix))
		}
		p.row("errorstat_"+e.name+" since the watch began", v, "+0", n == 0)
	}
	for _, k := range slices.Sorted(maps.Keys(grown)) {
		if !listed[k] {
			p.row("errorstat_"+k+" since the watch began", fmt.Sprintf("+%d", grown[k]), "shown, not judged: compare with the source", true)
			p.warn("the target returned %d %s error(s) during the watch; if the source did not, look at the application's log", grown[k], k)
		}
	}
	var before []string
	for _, k := range slices.Sorted(maps.Keys(start)) {
		if listed[k] && start[k] > 0 {
			before = append(before, fmt.Sprintf("%s %d", k, start[k]))
		}
	}
	if len(before) > 0 {
		p.warn("before the watch began the target had already returned: %s (counted since it started or since CONFIG RESETSTAT)", strings.Join(before, ", "))
	}
	if len(bad) == 0 {
		return ""
	}
	return "errors on the target since the watch began: " + strings.Join(bad, "; ")
}
