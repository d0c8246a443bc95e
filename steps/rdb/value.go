package rdb

import "strconv"

// Value is a decoded value: String, List, Set, ZSet, Hash or *Stream. Its
// byte slices are its own (they do not alias the reader's buffer).
type Value interface {
	Kind() Kind
}

// String is a string value (HyperLogLogs are strings too).
type String []byte

// List holds the elements head to tail.
type List [][]byte

// Set holds the members in file order.
type Set [][]byte

// ZSet holds the members in ZRANGE order (score, then member bytes).
type ZSet []ZMember

// ZMember is a sorted-set member and its exact score (may be ±Inf).
type ZMember struct {
	Member []byte
	Score  float64
}

// Hash holds the fields in file order.
type Hash []HashField

// HashField is a field, its value and its absolute expiry in unix ms (-1
// when the field has no TTL).
type HashField struct {
	Field, Value []byte
	ExpireMS     int64
}

func (String) Kind() Kind  { return KindString }
func (List) Kind() Kind    { return KindList }
func (Set) Kind() Kind     { return KindSet }
func (ZSet) Kind() Kind    { return KindZSet }
func (Hash) Kind() Kind    { return KindHash }
func (*Stream) Kind() Kind { return KindStream }

// Stream is a decoded stream with its consumer groups.
type Stream struct {
	Entries      []StreamEntry
	Length       uint64
	LastID       StreamID // last-generated-id
	FirstID      StreamID // recorded-first-entry-id
	MaxDeletedID StreamID
	EntriesAdded uint64
	Groups       []StreamGroup
}

// StreamID is a stream entry ID.
type StreamID struct{ Ms, Seq uint64 }

func (id StreamID) String() string {
	return strconv.FormatUint(id.Ms, 10) + "-" + strconv.FormatUint(id.Seq, 10)
}

// IsZero reports the 0-0 ID.
func (id StreamID) IsZero() bool { return id == StreamID{} }

// Less orders IDs as the server does.
func (id StreamID) Less(o StreamID) bool {
	return id.Ms < o.Ms || id.Ms == o.Ms && id.Seq < o.Seq
}

// StreamEntry is one entry: its ID and field, value, field, value, ...
type StreamEntry struct {
	ID     StreamID
	Fields [][]byte
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name            []byte
	LastDeliveredID StreamID
	// EntriesRead is the group's read counter; EntriesReadKnown is false
	// when the server did not know it (stored as 2^64-1, or absent before
	// RDB type 19), which XINFO shows as entries-read nil.
	EntriesRead      uint64
	EntriesReadKnown bool
	Pending          []PendingEntry // the group PEL, in ID order
	Consumers        []Consumer
}

// PendingEntry is a delivered but unacknowledged entry.
type PendingEntry struct {
	ID             StreamID
	Consumer       []byte
	DeliveryTimeMS int64
	DeliveryCount  uint64
}

// Consumer is a consumer of a group and the IDs pending for it.
type Consumer struct {
	Name         []byte
	SeenTimeMS   int64
	ActiveTimeMS int64 // equal to SeenTimeMS before RDB type 21
	Pending      []StreamID
}
