package parity

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/cutover/cutover/steps/rdb"
)

// Diff compares two decoded values as a client sees them: list order
// matters, set and hash order does not; hash field TTLs must agree within
// tol. It returns "" when they are equal, else the first difference in a
// few words. Encodings and RDB versions do not matter: values are decoded.
func Diff(src, dst rdb.Value, tol time.Duration) string {
	if src.Kind() != dst.Kind() {
		return fmt.Sprintf("type %s on the source, %s on the target", src.Kind(), dst.Kind())
	}
	switch a := src.(type) {
	case rdb.String:
		b := dst.(rdb.String)
		if !bytes.Equal(a, b) {
			return fmt.Sprintf("string differs (%d bytes on the source, %d on the target)", len(a), len(b))
		}
	case rdb.List:
		return diffList(a, dst.(rdb.List))
	case rdb.Set:
		return diffSet(a, dst.(rdb.Set))
	case rdb.ZSet:
		return diffZSet(a, dst.(rdb.ZSet))
	case rdb.Hash:
		return diffHash(a, dst.(rdb.Hash), tol)
	case *rdb.Stream:
		return diffStream(a, dst.(*rdb.Stream))
	}
	return ""
}

func diffList(a, b rdb.List) string {
	if len(a) != len(b) {
		return fmt.Sprintf("list has %d elements on the source, %d on the target", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return fmt.Sprintf("list element %d differs", i)
		}
	}
	return ""
}

func sortedCopy(s [][]byte) [][]byte {
	c := slices.Clone(s)
	slices.SortFunc(c, bytes.Compare)
	return c
}

func diffSet(a, b rdb.Set) string {
	if len(a) != len(b) {
		return fmt.Sprintf("set has %d members on the source, %d on the target", len(a), len(b))
	}
	sa, sb := sortedCopy(a), sortedCopy(b)
	for i := range sa {
		if !bytes.Equal(sa[i], sb[i]) {
			return fmt.Sprintf("set member %q is not on the target", sa[i])
		}
	}
	return ""
}

func diffZSet(a, b rdb.ZSet) string {
	if len(a) != len(b) {
		return fmt.Sprintf("sorted set has %d members on the source, %d on the target", len(a), len(b))
	}
	scores := make(map[string]float64, len(b))
	for _, m := range b {
		scores[string(m.Member)] = m.Score
	}
	for _, m := range a {
		s, ok := scores[string(m.Member)]
		if !ok {
			return fmt.Sprintf("sorted set member %q is not on the target", m.Member)
		}
		if s != m.Score && !(math.IsNaN(s) && math.IsNaN(m.Score)) {
			return fmt.Sprintf("sorted set member %q has score %s on the source, %s on the target", m.Member, fmtScore(m.Score), fmtScore(s))
		}
	}
	return ""
}

func fmtScore(f float64) string { return strconv.FormatFloat(f, 'g', 17, 64) }

func diffHash(a, b rdb.Hash, tol time.Duration) string {
	if len(a) != len(b) {
		return fmt.Sprintf("hash has %d fields on the source, %d on the target", len(a), len(b))
	}
	fields := make(map[string]rdb.HashField, len(b))
	for _, f := range b {
		fields[string(f.Field)] = f
	}
	for _, f := range a {
		g, ok := fields[string(f.Field)]
		switch {
		case !ok:
			return fmt.Sprintf("hash field %q is not on the target", f.Field)
		case !bytes.Equal(f.Value, g.Value):
			return fmt.Sprintf("hash field %q differs", f.Field)
		case (f.ExpireMS < 0) != (g.ExpireMS < 0):
			return fmt.Sprintf("hash field %q has a TTL on one side only (source %s, target %s)", f.Field, fieldTTL(f.ExpireMS), fieldTTL(g.ExpireMS))
		case f.ExpireMS >= 0 && time.Duration(abs(f.ExpireMS-g.ExpireMS))*time.Millisecond > tol:
			return fmt.Sprintf("hash field %q expires at %s on the source, %s on the target", f.Field, fieldTTL(f.ExpireMS), fieldTTL(g.ExpireMS))
		}
	}
	return ""
}

func fieldTTL(ms int64) string {
	if ms < 0 {
		return "never"
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// diffStream compares entries, counters, groups, pending entries and
// consumers. Delivery and seen times are not compared: a rebuild with
// commands cannot set every one of them.
func diffStream(a, b *rdb.Stream) string {
	switch {
	case a.Length != b.Length || len(a.Entries) != len(b.Entries):
		return fmt.Sprintf("stream has %d entries on the source, %d on the target", a.Length, b.Length)
	case a.LastID != b.LastID:
		return fmt.Sprintf("stream last ID is %s on the source, %s on the target", a.LastID, b.LastID)
	case a.MaxDeletedID != b.MaxDeletedID:
		return fmt.Sprintf("stream max deleted ID is %s on the source, %s on the target", a.MaxDeletedID, b.MaxDeletedID)
	case a.EntriesAdded != b.EntriesAdded:
		return fmt.Sprintf("stream entries-added is %d on the source, %d on the target", a.EntriesAdded, b.EntriesAdded)
	}
	for i := range a.Entries {
		ea, eb := a.Entries[i], b.Entries[i]
		if ea.ID != eb.ID || !slices.EqualFunc(ea.Fields, eb.Fields, bytes.Equal) {
			return fmt.Sprintf("stream entry %s differs", ea.ID)
		}
	}
	if len(a.Groups) != len(b.Groups) {
		return fmt.Sprintf("stream has %d consumer groups on the source, %d on the target", len(a.Groups), len(b.Groups))
	}
	groups := make(map[string]rdb.StreamGroup, len(b.Groups))
	for _, g := range b.Groups {
		groups[string(g.Name)] = g
	}
	for _, ga := range a.Groups {
		gb, ok := groups[string(ga.Name)]
		if !ok {
			return fmt.Sprintf("consumer group %q is not on the target", ga.Name)
		}
		if d := diffGroup(ga, gb); d != "" {
			return fmt.Sprintf("consumer group %q: %s", ga.Name, d)
		}
	}
	return ""
}

func diffGroup(a, b rdb.StreamGroup) string {
	switch {
	case a.LastDeliveredID != b.LastDeliveredID:
		return fmt.Sprintf("last delivered ID %s on the source, %s on the target", a.LastDeliveredID, b.LastDeliveredID)
	case a.EntriesReadKnown && b.EntriesReadKnown && a.EntriesRead != b.EntriesRead:
		return fmt.Sprintf("entries-read %d on the source, %d on the target", a.EntriesRead, b.EntriesRead)
	case len(a.Pending) != len(b.Pending):
		return fmt.Sprintf("%d pending entries on the source, %d on the target", len(a.Pending), len(b.Pending))
	case len(a.Consumers) != len(b.Consumers):
		return fmt.Sprintf("%d consumers on the source, %d on the target", len(a.Consumers), len(b.Consumers))
	}
	for i, p := range a.Pending {
		q := b.Pending[i]
		if p.ID != q.ID || !bytes.Equal(p.Consumer, q.Consumer) || p.DeliveryCount != q.DeliveryCount {
			return fmt.Sprintf("pending entry %s differs (owner or delivery count)", p.ID)
		}
	}
	consumers := make(map[string]rdb.Consumer, len(b.Consumers))
	for _, c := range b.Consumers {
		consumers[string(c.Name)] = c
	}
	for _, c := range a.Consumers {
		d, ok := consumers[string(c.Name)]
		if !ok {
			return fmt.Sprintf("consumer %q is not on the target", c.Name)
		}
		if !slices.Equal(c.Pending, d.Pending) {
			return fmt.Sprintf("consumer %q has other pending entries", c.Name)
		}
	}
	return ""
}
