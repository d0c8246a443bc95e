package zone

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func newLab(t *testing.T) *Store {
	t.Helper()
	s := NewStore()
	if err := s.AddZone("Z0LAB", "Lab.Internal"); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNamesAreCanonical(t *testing.T) {
	s := newLab(t)
	if err := s.Set("Z0LAB", Record{Name: "Cache.LAB.internal", Type: "cname", TTL: 30, Values: []string{"Src.Lab.Internal"}}); err != nil {
		t.Fatal(err)
	}
	r, ok := s.Get("cache.lab.internal.", "CNAME")
	if !ok {
		t.Fatal("record not found under its canonical name")
	}
	want := Record{Name: "cache.lab.internal.", Type: "CNAME", TTL: 30, Values: []string{"src.lab.internal."}}
	if r.Name != want.Name || r.Type != want.Type || r.TTL != want.TTL || !slices.Equal(r.Values, want.Values) {
		t.Fatalf("got %+v, want %+v", r, want)
	}
	if z, _ := s.Zone("Z0LAB"); z.Name != "lab.internal." {
		t.Fatalf("zone apex %q", z.Name)
	}
}

func TestApplyRefusesBadRecordsAndKeepsState(t *testing.T) {
	s := newLab(t)
	if err := s.Set("Z0LAB", Record{Name: "a.lab.internal", Type: "A", TTL: 60, Values: []string{"127.0.10.1"}}); err != nil {
		t.Fatal(err)
	}
	v := s.Version()
	cases := map[string]Record{
		"outside zone":   {Name: "x.other.", Type: "A", Values: []string{"127.0.0.1"}},
		"cname at apex":  {Name: "lab.internal", Type: "CNAME", Values: []string{"a.lab.internal"}},
		"cname beside A": {Name: "a.lab.internal", Type: "CNAME", Values: []string{"b.lab.internal"}},
		"bad ip":         {Name: "b.lab.internal", Type: "A", Values: []string{"::1"}},
		"two targets":    {Name: "c.lab.internal", Type: "CNAME", Values: []string{"a.lab.internal", "b.lab.internal"}},
		"bad type":       {Name: "c.lab.internal", Type: "MX", Values: []string{"10 a.lab.internal"}},
		"bad name":       {Name: "c d.lab.internal", Type: "A", Values: []string{"127.0.0.1"}},
		"no values":      {Name: "c.lab.internal", Type: "A"},
		"negative ttl":   {Name: "c.lab.internal", Type: "A", TTL: -1, Values: []string{"127.0.0.1"}},
	}
	for name, r := range cases {
		// A valid first change must be rolled back when a later one fails.
		err := s.Apply("Z0LAB", Change{Record: Record{Name: "ok.lab.internal", Type: "A", Values: []string{"127.0.0.2"}}}, Change{Record: r})
		if err == nil {
			t.Errorf("%s: accepted %+v", name, r)
		}
	}
	if _, ok := s.Get("ok.lab.internal", "A"); ok {
		t.Fatal("a failed batch left a partial change behind")
	}
	if s.Version() != v {
		t.Fatalf("version moved from %d to %d on failed changes", v, s.Version())
	}
	if err := s.Delete("Z0LAB", "missing.lab.internal", "A"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete of a missing record: %v", err)
	}
	if err := s.Set("ZNONE", Record{Name: "a.lab.internal", Type: "A", Values: []string{"127.0.0.1"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("set in a missing zone: %v", err)
	}
}

func TestReplaceCNAMEWithABatch(t *testing.T) {
	s := newLab(t)
	if err := s.Set("Z0LAB", Record{Name: "cache.lab.internal", Type: "CNAME", TTL: 30, Values: []string{"src.lab.internal"}}); err != nil {
		t.Fatal(err)
	}
	err := s.Apply("Z0LAB",
		Change{Delete: true, Record: Record{Name: "cache.lab.internal", Type: "CNAME"}},
		Change{Record: Record{Name: "cache.lab.internal", Type: "A", TTL: 30, Values: []string{"127.0.10.2", "127.0.10.2", "127.0.10.3"}}})
	if err != nil {
		t.Fatal(err)
	}
	got := s.List("Z0LAB")
	if len(got) != 1 || got[0].Type != "A" || !slices.Equal(got[0].Values, []string{"127.0.10.2", "127.0.10.3"}) {
		t.Fatalf("List = %+v", got)
	}
	if err := s.Set("Z0LAB", Record{Name: "a.deep.lab.internal", Type: "A", Values: []string{"127.0.0.1"}}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"CACHE.lab.internal.": true, "deep.lab.internal": true, "lab.internal": true, "nope.lab.internal": false, "x.a.deep.lab.internal": false, "example.com": false} {
		if got := s.Exists(name); got != want {
			t.Errorf("Exists(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestZonesAndZoneFor(t *testing.T) {
	s := newLab(t)
	if err := s.AddZone("Z0SUB", "sub.lab.internal."); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][2]string{{"Z0LAB", "x.internal"}, {"Z1", "LAB.internal."}, {"", "y.internal"}, {"Z/2", "y.internal"}, {"Z3", "bad..name"}} {
		if err := s.AddZone(bad[0], bad[1]); err == nil {
			t.Errorf("AddZone(%q, %q) accepted", bad[0], bad[1])
		}
	}
	zs := s.Zones()
	if len(zs) != 2 || zs[0].ID != "Z0LAB" || zs[1].ID != "Z0SUB" {
		t.Fatalf("Zones = %+v", zs)
	}
	if z, ok := s.ZoneFor("a.b.sub.lab.internal"); !ok || z.ID != "Z0SUB" {
		t.Fatalf("ZoneFor picked %+v", z)
	}
	if z, ok := s.ZoneFor("lab.internal"); !ok || z.ID != "Z0LAB" {
		t.Fatalf("ZoneFor apex picked %+v", z)
	}
	if _, ok := s.ZoneFor("example.com"); ok {
		t.Fatal("ZoneFor found a zone for an outside name")
	}
}

func TestChangedWakesWatchersAndCopiesAreIndependent(t *testing.T) {
	s := newLab(t)
	ch := s.Changed()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = s.Set("Z0LAB", Record{Name: "a.lab.internal", Type: "A", TTL: 5, Values: []string{"127.0.0.1"}})
	}()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("Changed was not closed by a Set")
	}
	wg.Wait()
	r, _ := s.Get("a.lab.internal", "A")
	r.Values[0] = "10.0.0.1"
	if again, _ := s.Get("a.lab.internal", "A"); again.Values[0] != "127.0.0.1" {
		t.Fatal("a returned record aliases the store")
	}
}

func TestCanonicalLimits(t *testing.T) {
	long := strings.Repeat("a", 64) + ".lab.internal"
	if _, err := Canonical(long); err == nil {
		t.Fatal("accepted a 64-character label")
	}
	if _, err := Canonical(strings.Repeat("abcdefghi.", 26)); err == nil {
		t.Fatal("accepted a name longer than 253 characters")
	}
	if n, err := Canonical(" Redis_1.LAB.internal. "); err != nil || n != "redis_1.lab.internal." {
		t.Fatalf("Canonical = %q, %v", n, err)
	}
}
