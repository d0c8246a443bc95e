package probes

import (
	"fmt"
	"strings"
)

// keyspaceClasses are the notify-keyspace-events classes a live sync
// needs: keyspace channels (K) for every kind of change.
const keyspaceClasses = "g$lshzxet"

// keyspaceAlias is what the class A stands for; keyspaceOrder lists every
// class in the order keyspaceClassSet writes them (m and n are not in A).
const (
	keyspaceAlias = "g$lshzxetd"
	keyspaceOrder = "KE" + keyspaceAlias + "mn"
)

// keyspaceClassSet is a notify-keyspace-events setting as the set of
// classes it enables, in one order, A expanded: "KEA", "AKE" and
// "KEg$lshzxetd" are the same set. Unknown letters are dropped.
func keyspaceClassSet(setting string) string {
	setting = strings.ReplaceAll(setting, "A", keyspaceAlias)
	var b strings.Builder
	for _, c := range keyspaceOrder {
		if strings.ContainsRune(setting, c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// MissingKeyspaceClasses says which classes notify-keyspace-events (as
// CONFIG GET or the parameter group shows it) lacks for a live sync; ""
// when it has them all.
func MissingKeyspaceClasses(setting string) string {
	return classesNotIn("K"+keyspaceClasses, keyspaceClassSet(setting))
}

// classesNotIn lists the classes of want that set lacks.
func classesNotIn(want, set string) string {
	missing := ""
	for _, c := range want {
		if !strings.ContainsRune(set, c) {
			missing += string(c)
		}
	}
	return missing
}

// keyspaceEvents records whether a live sync can use the source's keyspace
// notifications, as the fact keyspace_events: "on" (every class is set),
// "settable" (not yet, but it can be set now, how says where), or
// "default-group" (ElastiCache's default parameter group cannot be
// modified: the cluster needs a custom group first).
func (p *proof) keyspaceEvents(value, state, how string) {
	v := fmt.Sprintf("%q", value)
	switch m := MissingKeyspaceClasses(value); {
	case m == "":
		state = "on"
		v += ": every class a live sync needs"
	case state == "default-group":
		v += fmt.Sprintf(" (lacks %s); %s", m, how)
	default:
		v += fmt.Sprintf(" (lacks %s): a live sync needs KEA; %s", m, how)
	}
	p.row("notify-keyspace-events", v, "", true)
	p.fact("keyspace_events", state)
}
