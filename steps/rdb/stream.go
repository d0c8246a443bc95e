package rdb

import "math"

// Stream entry flags in a stream listpack.
const (
	streamFlagDeleted    = 1
	streamFlagSameFields = 2
)

func (d *decoder) stream(typ byte) (Value, error) {
	st := &Stream{}
	nodes, err := d.count("stream listpack count")
	if err != nil {
		return nil, err
	}
	for range nodes {
		at := d.s.off()
		key, err := d.str("stream node key")
		if err != nil {
			return nil, err
		}
		if len(key) != 16 {
			return nil, corrupt(at, "stream node key has %d bytes, want a 16-byte ID", len(key))
		}
		data, lpAt, err := d.blob("stream listpack")
		if err != nil {
			return nil, err
		}
		if st.Entries, err = d.streamNode(st.Entries, u128(key), data, lpAt); err != nil {
			return nil, err
		}
	}
	var meta [8]uint64
	n := 3
	if typ >= TypeStreamListpacks2 {
		n = 8
	}
	for i := range n {
		if meta[i], err = d.s.count("stream metadata"); err != nil {
			return nil, err
		}
	}
	st.Length, st.LastID = meta[0], StreamID{meta[1], meta[2]}
	if typ >= TypeStreamListpacks2 {
		st.FirstID = StreamID{meta[3], meta[4]}
		st.MaxDeletedID = StreamID{meta[5], meta[6]}
		st.EntriesAdded = meta[7]
	} else {
		// What the server assumes when it loads the old format.
		st.EntriesAdded = st.Length
		if len(st.Entries) > 0 {
			st.FirstID = st.Entries[0].ID
		}
	}
	groups, err := d.count("stream consumer group count")
	if err != nil {
		return nil, err
	}
	for range groups {
		g, err := d.group(typ)
		if err != nil {
			return nil, err
		}
		st.Groups = append(st.Groups, g)
	}
	return st, nil
}

// streamNode decodes one listpack of entries, delta-encoded against the
// node's master ID. Its master entry is: count, deleted, field count,
// fields, 0. Each entry is: flags, ms delta, seq delta, then either the
// values (same fields as the master) or a field count and field/value
// pairs, then the number of listpack elements the entry used.
func (d *decoder) streamNode(out []StreamEntry, master StreamID, data []byte, at int64) ([]StreamEntry, error) {
	l, err := openListpack(data, at)
	if err != nil {
		return nil, err
	}
	next := func(what string) (elem, error) {
		e, ok, err := l.next()
		if err == nil && !ok {
			err = l.errf("stream listpack ends where %s was expected", what)
		}
		return e, err
	}
	integer := func(what string) (int64, error) {
		e, err := next(what)
		if err == nil && !e.isInt {
			err = l.errf("%s is not an integer", what)
		}
		return e.n, err
	}
	if _, err := integer("the master entry count"); err != nil {
		return nil, err
	}
	if _, err := integer("the master deleted count"); err != nil {
		return nil, err
	}
	nf, err := integer("the master field count")
	if err != nil {
		return nil, err
	}
	if nf < 0 || nf > int64(len(data)) {
		return nil, l.errf("master field count %d is implausible", nf)
	}
	masterFields := make([][]byte, nf)
	for i := range masterFields {
		e, err := next("a master field")
		if err != nil {
			return nil, err
		}
		masterFields[i] = d.elemBytes(e)
	}
	if z, err := integer("the master terminator"); err != nil || z != 0 {
		if err == nil {
			err = l.errf("master entry terminator is %d, want 0", z)
		}
		return nil, err
	}
	for {
		fe, ok, err := l.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		if !fe.isInt {
			return nil, l.errf("entry flags are not an integer")
		}
		flags := fe.n
		ms, err := integer("an entry ms delta")
		if err != nil {
			return nil, err
		}
		seq, err := integer("an entry seq delta")
		if err != nil {
			return nil, err
		}
		var fields [][]byte
		if flags&streamFlagSameFields != 0 {
			fields = make([][]byte, 0, 2*len(masterFields))
			for _, f := range masterFields {
				v, err := next("an entry value")
				if err != nil {
					return nil, err
				}
				fields = append(fields, f, d.elemBytes(v))
			}
		} else {
			n, err := integer("an entry field count")
			if err != nil {
				return nil, err
			}
			if n < 0 || n > int64(len(data)) {
				return nil, l.errf("entry field count %d is implausible", n)
			}
			fields = make([][]byte, 0, 2*n)
			for range 2 * n {
				e, err := next("an entry field or value")
				if err != nil {
					return nil, err
				}
				fields = append(fields, d.elemBytes(e))
			}
		}
		if _, err := integer("an entry element count"); err != nil {
			return nil, err
		}
		if flags&streamFlagDeleted != 0 {
			continue
		}
		id := StreamID{Ms: master.Ms + uint64(ms), Seq: master.Seq + uint64(seq)}
		out = append(out, StreamEntry{ID: id, Fields: fields})
	}
}

func (d *decoder) group(typ byte) (StreamGroup, error) {
	var g StreamGroup
	var err error
	if g.Name, err = d.str("consumer group name"); err != nil {
		return g, err
	}
	if g.LastDeliveredID.Ms, err = d.s.count("group last delivered ID"); err != nil {
		return g, err
	}
	if g.LastDeliveredID.Seq, err = d.s.count("group last delivered ID"); err != nil {
		return g, err
	}
	if typ >= TypeStreamListpacks2 {
		if g.EntriesRead, err = d.s.count("group entries read"); err != nil {
			return g, err
		}
		// The server stores "unknown" as -1 in a 64-bit length.
		g.EntriesReadKnown = g.EntriesRead != math.MaxUint64
		if !g.EntriesReadKnown {
			g.EntriesRead = 0
		}
	}
	pel, err := d.count("group PEL size")
	if err != nil {
		return g, err
	}
	g.Pending = make([]PendingEntry, pel)
	index := make(map[StreamID]int, pel)
	for i := range g.Pending {
		id, err := d.s.bytes(16, "PEL entry ID")
		if err != nil {
			return g, err
		}
		p := &g.Pending[i]
		p.ID = u128(id)
		t, err := d.s.u64le("PEL delivery time")
		if err != nil {
			return g, err
		}
		p.DeliveryTimeMS = int64(t)
		if p.DeliveryCount, err = d.s.count("PEL delivery count"); err != nil {
			return g, err
		}
		index[p.ID] = i
	}
	consumers, err := d.count("consumer count")
	if err != nil {
		return g, err
	}
	for range consumers {
		c, err := d.consumer(typ, g.Pending, index)
		if err != nil {
			return g, err
		}
		g.Consumers = append(g.Consumers, c)
	}
	return g, nil
}

func (d *decoder) consumer(typ byte, pel []PendingEntry, index map[StreamID]int) (Consumer, error) {
	var c Consumer
	var err error
	if c.Name, err = d.str("consumer name"); err != nil {
		return c, err
	}
	t, err := d.s.u64le("consumer seen time")
	if err != nil {
		return c, err
	}
	c.SeenTimeMS, c.ActiveTimeMS = int64(t), int64(t)
	if typ >= TypeStreamListpacks3 {
		if t, err = d.s.u64le("consumer active time"); err != nil {
			return c, err
		}
		c.ActiveTimeMS = int64(t)
	}
	n, err := d.count("consumer PEL size")
	if err != nil {
		return c, err
	}
	c.Pending = make([]StreamID, 0, n)
	for range n {
		at := d.s.off()
		b, err := d.s.bytes(16, "consumer PEL ID")
		if err != nil {
			return c, err
		}
		id := u128(b)
		i, ok := index[id]
		if !ok {
			return c, corrupt(at, "consumer %q has pending ID %s that is not in its group's PEL", c.Name, id)
		}
		pel[i].Consumer = c.Name
		c.Pending = append(c.Pending, id)
	}
	return c, nil
}
