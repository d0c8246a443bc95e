package awsstub

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cutover/cutover/lab/zone"
)

// route53 queues accepted change batches. The API shows a batch at once (as
// Route53 does), but the zone store, and so the DNS server, gets it only
// when the change goes INSYNC, ChangeDelay after submission, in order.
type r53State struct {
	mu      sync.Mutex
	changes map[string]*change
	queue   []*change // PENDING, oldest first
	held    bool
	next    int
	timer   *time.Timer
	stopped bool
}

type change struct {
	id, zoneID, comment string
	submitted, due      time.Time
	ops                 []zone.Change
	insync              bool
}

type batchChange struct {
	action string
	rrset  xmlRRSet
}

type rrKey struct{ name, typ string }

func (r *r53State) init() { r.changes = map[string]*change{} }

func (r *r53State) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if r.timer != nil {
		r.timer.Stop()
	}
}

// HoldChanges keeps every Route53 change PENDING, and out of the DNS
// server, until it is called with false; then changes already due go
// INSYNC at once. Tests use it to simulate a change that never propagates.
func (s *Server) HoldChanges(hold bool) {
	s.r53.mu.Lock()
	s.r53.held = hold
	s.r53.mu.Unlock()
	s.commitDue()
}

// commitDue applies due changes to the zone store, in order, and arms a
// timer for the next one.
func (s *Server) commitDue() {
	r := &s.r53
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	now := time.Now()
	for len(r.queue) > 0 && !r.held && !r.queue[0].due.After(now) {
		c := r.queue[0]
		r.queue = r.queue[1:]
		// Apply fails only if the lab edited the zone behind Route53's
		// back; such a change never reaches INSYNC.
		c.insync = s.cfg.Zones.Apply(c.zoneID, c.ops...) == nil
	}
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if len(r.queue) > 0 && !r.held {
		r.timer = time.AfterFunc(time.Until(r.queue[0].due), s.commitDue)
	}
}

// desiredLocked is the zone as the API shows it: the store plus the pending
// changes; s.r53.mu must be held.
func (s *Server) desiredLocked(zoneID string) map[rrKey]zone.Record {
	state := map[rrKey]zone.Record{}
	for _, rec := range s.cfg.Zones.List(zoneID) {
		state[rrKey{rec.Name, rec.Type}] = rec
	}
	for _, c := range s.r53.queue {
		if c.zoneID != zoneID {
			continue
		}
		for _, op := range c.ops {
			k := rrKey{op.Record.Name, op.Record.Type}
			if op.Delete {
				delete(state, k)
			} else {
				state[k] = op.Record
			}
		}
	}
	return state
}

func (s *Server) desiredRecords(zoneID string) []zone.Record {
	s.r53.mu.Lock()
	defer s.r53.mu.Unlock()
	var out []zone.Record
	for _, rec := range s.desiredLocked(zoneID) {
		out = append(out, rec)
	}
	return out
}

// submit validates a batch against the zone as the API shows it and queues
// it PENDING.
func (s *Server) submit(z zone.Zone, comment string, batch []batchChange) (xmlChangeInfo, error) {
	for _, c := range batch {
		if err := checkShape(c); err != nil {
			return xmlChangeInfo{}, err
		}
	}
	s.r53.mu.Lock()
	defer s.r53.mu.Unlock()
	ops, problems := validateBatch(z, s.desiredLocked(z.ID), batch)
	if len(problems) > 0 {
		return xmlChangeInfo{}, APIError{Code: "InvalidChangeBatch", Message: "[" + strings.Join(problems, ", ") + "]"}
	}
	s.r53.next++
	now := time.Now().UTC()
	c := &change{
		id: fmt.Sprintf("C0LAB%09d", s.r53.next), zoneID: z.ID, comment: comment,
		submitted: now.Truncate(time.Millisecond), due: now.Add(s.cfg.ChangeDelay), ops: ops,
	}
	s.r53.changes[c.id] = c
	s.r53.queue = append(s.r53.queue, c)
	if len(s.r53.queue) == 1 && !s.r53.held && !s.r53.stopped {
		s.r53.timer = time.AfterFunc(s.cfg.ChangeDelay, s.commitDue)
	}
	return c.info(), nil
}

func (c *change) info() xmlChangeInfo {
	status := "PENDING"
	if c.insync {
		status = "INSYNC"
	}
	return xmlChangeInfo{ID: "/change/" + c.id, Status: status, SubmittedAt: c.submitted, Comment: c.comment}
}

func (s *Server) changeInfo(id string) (xmlChangeInfo, bool) {
	s.r53.mu.Lock()
	defer s.r53.mu.Unlock()
	c, ok := s.r53.changes[id]
	if !ok {
		return xmlChangeInfo{}, false
	}
	return c.info(), true
}

// checkShape refuses what is malformed or beyond the stand-in (InvalidInput).
func checkShape(c batchChange) error {
	x := c.rrset
	switch {
	case c.action != "CREATE" && c.action != "DELETE" && c.action != "UPSERT":
		return invalidInput("Invalid XML ; Action %q is not CREATE, DELETE or UPSERT", c.action)
	case x.routingPolicy():
		return invalidInput("RRSet %s: alias and routing-policy records are not supported by the lab's Route53 stand-in: use simple records", x.Name)
	case x.Type != zone.TypeA && x.Type != zone.TypeCNAME:
		return invalidInput("RRSet %s: type %q is not supported by the lab's Route53 stand-in: use A or CNAME", x.Name, x.Type)
	case x.TTL == nil || len(x.ResourceRecords) == 0:
		return invalidInput("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=%s, Name=%s, Type=%s, SetIdentifier=null]", c.action, x.Name, x.Type)
	}
	if _, err := zone.Canonical(x.Name); err != nil {
		return invalidInput("RRSet name: %v", err)
	}
	return nil
}

// validateBatch applies the batch in order to state, as Route53 does, and
// returns the store operations or Route53's messages for what is wrong.
func validateBatch(z zone.Zone, state map[rrKey]zone.Record, batch []batchChange) ([]zone.Change, []string) {
	var ops []zone.Change
	var problems []string
	for _, c := range batch {
		rec := zone.Record{Name: c.rrset.Name, Type: c.rrset.Type, TTL: *c.rrset.TTL}
		for _, rr := range c.rrset.ResourceRecords {
			rec.Values = append(rec.Values, rr.Value)
		}
		norm, err := zone.Normalize(rec)
		if err != nil {
			problems = append(problems, "Invalid Resource Record: "+err.Error())
			continue
		}
		if !zone.InZone(norm.Name, z.Name) {
			problems = append(problems, fmt.Sprintf("RRSet with DNS name %s is not permitted in zone %s", norm.Name, z.Name))
			continue
		}
		k := rrKey{norm.Name, norm.Type}
		cur, exists := state[k]
		ident := fmt.Sprintf("[name='%s', type='%s']", norm.Name, norm.Type)
		switch {
		case c.action == "DELETE" && !exists:
			problems = append(problems, "Tried to delete resource record set "+ident+" but it was not found")
		case c.action == "DELETE" && !sameRecord(cur, norm):
			problems = append(problems, "Tried to delete resource record set "+ident+" but the values provided do not match the current values")
		case c.action == "DELETE":
			delete(state, k)
			ops = append(ops, zone.Change{Delete: true, Record: norm})
		case c.action == "CREATE" && exists:
			problems = append(problems, "Tried to create resource record set "+ident+" but it already exists")
		default:
			if p := conflict(z, state, norm); p != "" {
				problems = append(problems, p)
				continue
			}
			state[k] = norm
			ops = append(ops, zone.Change{Record: norm})
		}
	}
	return ops, problems
}

// conflict reports Route53's CNAME rules: none at the apex, none beside
// another type.
func conflict(z zone.Zone, state map[rrKey]zone.Record, r zone.Record) string {
	if r.Type == zone.TypeCNAME && r.Name == z.Name {
		return fmt.Sprintf("RRSet of type CNAME with DNS name %s is not permitted at apex in zone %s", r.Name, z.Name)
	}
	for k := range state {
		if k.name == r.Name && k.typ != r.Type && (k.typ == zone.TypeCNAME || r.Type == zone.TypeCNAME) {
			return fmt.Sprintf("RRSet of type %s with DNS name %s is not permitted because a conflicting RRSet of type %s with the same DNS name already exists in zone %s",
				r.Type, r.Name, k.typ, z.Name)
		}
	}
	return ""
}

func sameRecord(a, b zone.Record) bool {
	av, bv := slices.Clone(a.Values), slices.Clone(b.Values)
	slices.Sort(av)
	slices.Sort(bv)
	return a.TTL == b.TTL && slices.Equal(av, bv)
}
