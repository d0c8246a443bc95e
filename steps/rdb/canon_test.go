package rdb

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"testing"
)

// canon is a key's content in one comparable form, built from a decoded
// Value, from a testdata manifest or from a live server.
type canon struct {
	Type     string
	ExpireMS int64
	Value    any              // string | []string | [][2]string | map[string]string | *cStream
	FieldTTL map[string]int64 // base64 field -> unix ms
}

type cStream struct {
	Entries                       []cEntry
	Length, Added                 int64
	LastID, MaxDeletedID, FirstID string
	Groups                        []cGroup
}

type cEntry struct {
	ID     string
	Fields []string
}

type cGroup struct {
	Name, LastDelivered string
	EntriesRead         *int64
	Consumers           []cConsumer
	PEL                 []cPending
}

type cConsumer struct {
	Name    string
	Pending int
}

type cPending struct {
	ID, Consumer string
	Count        int64
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func b64s(l [][]byte) []string {
	out := make([]string, len(l))
	for i, b := range l {
		out[i] = b64(b)
	}
	return out
}

// scoreText formats a score the same way whatever side it came from.
func scoreText(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func parseScore(t *testing.T, s string) string {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("bad score %q: %v", s, err)
	}
	return scoreText(f)
}

func canonOf(key []byte, v Value, expireMS int64) canon {
	c := canon{Type: string(v.Kind()), ExpireMS: expireMS}
	switch v := v.(type) {
	case String:
		c.Value = b64(v)
	case List:
		c.Value = b64s(v)
	case Set:
		m := slices.Clone([][]byte(v))
		slices.SortFunc(m, bytes.Compare)
		c.Value = b64s(m)
	case ZSet:
		z := make([][2]string, len(v))
		for i, m := range v {
			z[i] = [2]string{b64(m.Member), scoreText(m.Score)}
		}
		c.Value = z
	case Hash:
		h := map[string]string{}
		for _, f := range v {
			h[b64(f.Field)] = b64(f.Value)
			if f.ExpireMS >= 0 {
				if c.FieldTTL == nil {
					c.FieldTTL = map[string]int64{}
				}
				c.FieldTTL[b64(f.Field)] = f.ExpireMS
			}
		}
		c.Value = h
	case *Stream:
		c.Value = canonStream(v)
	}
	return c
}

func canonStream(v *Stream) *cStream {
	s := &cStream{Length: int64(v.Length), Added: int64(v.EntriesAdded), LastID: v.LastID.String(),
		MaxDeletedID: v.MaxDeletedID.String(), FirstID: v.FirstID.String(), Entries: []cEntry{}, Groups: []cGroup{}}
	for _, e := range v.Entries {
		s.Entries = append(s.Entries, cEntry{ID: e.ID.String(), Fields: b64s(e.Fields)})
	}
	for _, g := range v.Groups {
		cg := cGroup{Name: string(g.Name), LastDelivered: g.LastDeliveredID.String(), Consumers: []cConsumer{}, PEL: []cPending{}}
		if g.EntriesReadKnown {
			n := int64(g.EntriesRead)
			cg.EntriesRead = &n
		}
		for _, c := range g.Consumers {
			cg.Consumers = append(cg.Consumers, cConsumer{Name: string(c.Name), Pending: len(c.Pending)})
		}
		for _, p := range g.Pending {
			cg.PEL = append(cg.PEL, cPending{ID: p.ID.String(), Consumer: string(p.Consumer), Count: int64(p.DeliveryCount)})
		}
		s.Groups = append(s.Groups, cg)
	}
	sortStream(s)
	return s
}

func sortStream(s *cStream) {
	sort.Slice(s.Groups, func(i, j int) bool { return s.Groups[i].Name < s.Groups[j].Name })
	for _, g := range s.Groups {
		sort.Slice(g.Consumers, func(i, j int) bool { return g.Consumers[i].Name < g.Consumers[j].Name })
	}
}

// manifestKey is one key of a testdata manifest.
type manifestKey struct {
	DB             int              `json:"db"`
	Key            string           `json:"key"`
	Type           string           `json:"type"`
	ExpireMS       int64            `json:"expire_ms"`
	Value          json.RawMessage  `json:"value"`
	FieldExpiresMS map[string]int64 `json:"field_expires_ms"`
	RDBType        int              `json:"rdb_type"`
}

type manifestStream struct {
	Entries      [][2]json.RawMessage `json:"entries"`
	Length       int64                `json:"length"`
	LastID       string               `json:"last-generated-id"`
	MaxDeletedID string               `json:"max-deleted-entry-id"`
	EntriesAdded int64                `json:"entries-added"`
	FirstID      string               `json:"recorded-first-entry-id"`
	Groups       []struct {
		Name          string      `json:"name"`
		LastDelivered string      `json:"last_delivered_id"`
		EntriesRead   *int64      `json:"entries_read"`
		Consumers     []cConsumer `json:"consumers"`
		PEL           [][3]any    `json:"pel"`
	} `json:"groups"`
}

func canonManifest(t *testing.T, k manifestKey) canon {
	t.Helper()
	c := canon{Type: k.Type, ExpireMS: k.ExpireMS}
	must := func(v any) {
		if err := json.Unmarshal(k.Value, v); err != nil {
			t.Fatalf("manifest key %s: %v", k.Key, err)
		}
	}
	switch k.Type {
	case "string":
		var s string
		must(&s)
		c.Value = s
	case "list", "set":
		l := []string{}
		must(&l)
		c.Value = l
	case "zset":
		var z [][2]string
		must(&z)
		for i := range z {
			z[i][1] = parseScore(t, z[i][1])
		}
		if z == nil {
			z = [][2]string{}
		}
		c.Value = z
	case "hash":
		h := map[string]string{}
		must(&h)
		c.Value = h
		if len(k.FieldExpiresMS) > 0 {
			c.FieldTTL = k.FieldExpiresMS
		}
	case "stream":
		var m manifestStream
		must(&m)
		s := &cStream{Length: m.Length, Added: m.EntriesAdded, LastID: m.LastID, MaxDeletedID: m.MaxDeletedID,
			FirstID: m.FirstID, Entries: []cEntry{}, Groups: []cGroup{}}
		for _, e := range m.Entries {
			var ce cEntry
			if json.Unmarshal(e[0], &ce.ID) != nil || json.Unmarshal(e[1], &ce.Fields) != nil {
				t.Fatalf("manifest key %s: bad stream entry", k.Key)
			}
			s.Entries = append(s.Entries, ce)
		}
		for _, g := range m.Groups {
			cg := cGroup{Name: g.Name, LastDelivered: g.LastDelivered, EntriesRead: g.EntriesRead,
				Consumers: append([]cConsumer{}, g.Consumers...), PEL: []cPending{}}
			for _, p := range g.PEL {
				cg.PEL = append(cg.PEL, cPending{ID: p[0].(string), Consumer: p[1].(string), Count: int64(p[2].(float64))})
			}
			s.Groups = append(s.Groups, cg)
		}
		sortStream(s)
		c.Value = s
	default:
		t.Fatalf("manifest key %s: unknown type %q", k.Key, k.Type)
	}
	return c
}

// sameCanon reports a readable difference, or "" when a and b match.
func sameCanon(a, b canon) string {
	if reflect.DeepEqual(a, b) {
		return ""
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if len(ja) > 600 || len(jb) > 600 {
		// Point at the first differing byte.
		i := 0
		for i < len(ja) && i < len(jb) && ja[i] == jb[i] {
			i++
		}
		lo := max(i-200, 0)
		return fmt.Sprintf("differ at byte %d:\n got  ...%s\n want ...%s", i, ja[lo:min(len(ja), i+200)], jb[lo:min(len(jb), i+200)])
	}
	return fmt.Sprintf("\n got  %s\n want %s", ja, jb)
}
