package probes

import (
	"fmt"
	"strings"
)

// keyspaceClasses are the notify-keyspace-events classes a live sync
// needs: keyspace channels (K) for every kind of change (A is g$lshzxetd).
const keyspaceClasses = "g$lshzxet"

// MissingKeyspaceClasses says which classes notify-keyspace-events (as
// CONFIG GET or the parameter group shows it) lacks for a live sync; ""
// when it has them all.
func MissingKeyspaceClasses(setting string) string {
	missing := ""
	if !strings.Contains(setting, "K") {
		missing += "K"
	}
	if strings.Contains(setting, "A") {
		return missing
	}
	for _, c := range keyspaceClasses {
		if !strings.ContainsRune(setting, c) {
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
