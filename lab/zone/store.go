// Package zone is the lab's hosted-zone record store, shared by the Route53
// stand-in (which writes it) and the loopback DNS server (which serves it).
package zone

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Record types the store holds.
const (
	TypeA     = "A"
	TypeCNAME = "CNAME"
)

// ErrNotFound is wrapped by errors about a zone or record that does not exist.
var ErrNotFound = errors.New("not found")

// Record is one resource record set. In the store, Name is lower-case with a
// trailing dot, and CNAME values are too.
type Record struct {
	Name   string
	Type   string
	TTL    int64
	Values []string
}

// Zone is a hosted zone: an ID such as "Z0LAB" and its apex such as
// "lab.internal.".
type Zone struct {
	ID   string
	Name string
}

// Change is one step of Apply: Delete removes the record set named by
// Record.Name and Record.Type; otherwise Record is created or replaced.
type Change struct {
	Delete bool
	Record Record
}

type key struct{ name, typ string }

type hostedZone struct {
	Zone
	records map[key]Record
}

// Store is safe for concurrent use.
type Store struct {
	mu      sync.RWMutex
	zones   map[string]*hostedZone
	version uint64
	changed chan struct{}
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{zones: map[string]*hostedZone{}, changed: make(chan struct{})}
}

// AddZone adds an empty hosted zone. Zone IDs and apex names are unique.
func (s *Store) AddZone(id, name string) error {
	if strings.TrimSpace(id) == "" || strings.ContainsAny(id, "/ ") {
		return fmt.Errorf("zone ID %q is empty or contains '/' or a space: use one such as Z0LAB", id)
	}
	apex, err := Canonical(name)
	if err != nil {
		return fmt.Errorf("zone %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.zones[id]; ok {
		return fmt.Errorf("zone ID %s is already in use: pick another", id)
	}
	for _, z := range s.zones {
		if z.Name == apex {
			return fmt.Errorf("zone %s already serves %s: one zone per name", z.ID, apex)
		}
	}
	s.zones[id] = &hostedZone{Zone: Zone{ID: id, Name: apex}, records: map[key]Record{}}
	s.bumpLocked()
	return nil
}

// Zones returns the hosted zones sorted by name.
func (s *Store) Zones() []Zone {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Zone, 0, len(s.zones))
	for _, z := range s.zones {
		out = append(out, z.Zone)
	}
	slices.SortFunc(out, func(a, b Zone) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Zone returns the zone with this ID.
func (s *Store) Zone(id string) (Zone, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	z, ok := s.zones[id]
	if !ok {
		return Zone{}, false
	}
	return z.Zone, true
}

// ZoneFor returns the most specific zone whose apex is name or an ancestor
// of it: the zone a DNS server would answer for.
func (s *Store) ZoneFor(name string) (Zone, bool) {
	n, err := Canonical(name)
	if err != nil {
		return Zone{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	z := s.zoneForLocked(n)
	if z == nil {
		return Zone{}, false
	}
	return z.Zone, true
}

func (s *Store) zoneForLocked(name string) *hostedZone {
	var best *hostedZone
	for _, z := range s.zones {
		if InZone(name, z.Name) && (best == nil || len(z.Name) > len(best.Name)) {
			best = z
		}
	}
	return best
}

// Get returns the record set of this name and type from the zone that
// serves the name.
func (s *Store) Get(name, typ string) (Record, bool) {
	n, err := Canonical(name)
	if err != nil {
		return Record{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	z := s.zoneForLocked(n)
	if z == nil {
		return Record{}, false
	}
	r, ok := z.records[key{n, strings.ToUpper(typ)}]
	return clone(r), ok
}

// Exists reports whether the name exists in its zone: it is the apex, owns
// a record set, or has a descendant that does. That tells an empty answer
// from NXDOMAIN.
func (s *Store) Exists(name string) bool {
	n, err := Canonical(name)
	if err != nil {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	z := s.zoneForLocked(n)
	if z == nil {
		return false
	}
	if n == z.Name {
		return true
	}
	for k := range z.records {
		if k.name == n || strings.HasSuffix(k.name, "."+n) {
			return true
		}
	}
	return false
}

// List returns the zone's record sets sorted by name, then type; nil for an
// unknown zone.
func (s *Store) List(zoneID string) []Record {
	s.mu.RLock()
	defer s.mu.RUnlock()
	z, ok := s.zones[zoneID]
	if !ok {
		return nil
	}
	out := make([]Record, 0, len(z.records))
	for _, r := range z.records {
		out = append(out, clone(r))
	}
	slices.SortFunc(out, func(a, b Record) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Type, b.Type)
	})
	return out
}

// Set creates or replaces one record set.
func (s *Store) Set(zoneID string, r Record) error {
	return s.Apply(zoneID, Change{Record: r})
}

// Delete removes one record set; the error wraps ErrNotFound when there is
// none.
func (s *Store) Delete(zoneID, name, typ string) error {
	return s.Apply(zoneID, Change{Delete: true, Record: Record{Name: name, Type: typ}})
}

// Apply makes all the changes, in order, or none of them. It refuses records
// outside the zone, a CNAME at the apex, a CNAME beside another type at the
// same name, and deleting a record set that does not exist.
func (s *Store) Apply(zoneID string, changes ...Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	z, ok := s.zones[zoneID]
	if !ok {
		return fmt.Errorf("zone %s: %w: add it with AddZone first", zoneID, ErrNotFound)
	}
	next := make(map[key]Record, len(z.records)+len(changes))
	for k, r := range z.records {
		next[k] = r
	}
	for _, c := range changes {
		if err := applyOne(z.Zone, next, c); err != nil {
			return err
		}
	}
	z.records = next
	s.bumpLocked()
	return nil
}

func applyOne(z Zone, records map[key]Record, c Change) error {
	if c.Delete {
		name, err := Canonical(c.Record.Name)
		if err != nil {
			return err
		}
		k := key{name, strings.ToUpper(c.Record.Type)}
		if _, ok := records[k]; !ok {
			return fmt.Errorf("record %s %s: %w in zone %s", name, k.typ, ErrNotFound, z.Name)
		}
		delete(records, k)
		return nil
	}
	r, err := Normalize(c.Record)
	if err != nil {
		return err
	}
	if !InZone(r.Name, z.Name) {
		return fmt.Errorf("record %s is outside zone %s: use a name ending in .%s", r.Name, z.Name, z.Name)
	}
	if r.Type == TypeCNAME && r.Name == z.Name {
		return fmt.Errorf("record %s: a CNAME is not allowed at the zone apex", r.Name)
	}
	for k := range records {
		if k.name == r.Name && k.typ != r.Type && (k.typ == TypeCNAME || r.Type == TypeCNAME) {
			return fmt.Errorf("record %s %s conflicts with the %s record of the same name: a CNAME cannot share its name", r.Name, r.Type, k.typ)
		}
	}
	records[key{r.Name, r.Type}] = r
	return nil
}

// Version counts changes to the store; it only grows.
func (s *Store) Version() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version
}

// Changed returns a channel that is closed at the next change.
func (s *Store) Changed() <-chan struct{} {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.changed
}

func (s *Store) bumpLocked() {
	s.version++
	close(s.changed)
	s.changed = make(chan struct{})
}

func clone(r Record) Record {
	r.Values = slices.Clone(r.Values)
	return r
}
