package rdb

import "strconv"

// stream recreates entries (XADD with their IDs), the stream's counters
// (XSETID), its groups, consumers and pending entries (XCLAIM ... FORCE).
// Consumer seen/active times are not reproducible with commands: the
// target shows them as of the rebuild.
func (b *builder) stream(v *Stream) {
	added := uint64(len(v.Entries)) // what the XADDs alone leave
	if len(v.Entries) == 0 {
		added = 1
		// An entry added and trimmed away in one step leaves an empty
		// stream; XSETID below puts the real counters back.
		id := v.LastID
		if id.IsZero() {
			id = StreamID{Seq: 1}
		}
		b.cmd("XADD", b.key, "MAXLEN", "0", id.String(), "_", "_")
	}
	exists := make(map[StreamID]bool, len(v.Entries))
	for _, e := range v.Entries {
		if b.err != nil {
			return
		}
		args := make([]any, 0, 3+len(e.Fields))
		args = append(args, "XADD", b.key, e.ID.String())
		for _, f := range e.Fields {
			args = append(args, f)
		}
		b.cmd(args...)
		exists[e.ID] = true
	}
	setID := []any{"XSETID", b.key, v.LastID.String()}
	if b.caps.StreamMeta {
		setID = append(setID, "ENTRIESADDED", strconv.FormatUint(v.EntriesAdded, 10))
		if !v.MaxDeletedID.IsZero() {
			setID = append(setID, "MAXDELETEDID", v.MaxDeletedID.String())
		}
	} else if v.EntriesAdded != added || !v.MaxDeletedID.IsZero() {
		b.warn("entries-added %d and max-deleted-entry-id %s cannot be set: the target lacks XSETID ENTRIESADDED/MAXDELETEDID (Redis 7.0+); consumer group lag will differ", v.EntriesAdded, v.MaxDeletedID)
	}
	b.cmd(setID...)
	for _, g := range v.Groups {
		b.group(g, exists)
	}
}

func (b *builder) group(g StreamGroup, exists map[StreamID]bool) {
	create := []any{"XGROUP", "CREATE", b.key, g.Name, g.LastDeliveredID.String()}
	if g.EntriesReadKnown {
		if b.caps.StreamMeta {
			create = append(create, "ENTRIESREAD", strconv.FormatUint(g.EntriesRead, 10))
		} else {
			b.warn("group %q: entries-read %d cannot be set: the target lacks XGROUP CREATE ENTRIESREAD (Redis 7.0+)", g.Name, g.EntriesRead)
		}
	}
	b.cmd(create...)
	for _, c := range g.Consumers {
		b.cmd("XGROUP", "CREATECONSUMER", b.key, g.Name, c.Name)
	}
	// XCLAIM sets owner, delivery time and count; consecutive pending
	// entries that share all three go in one command.
	lost := 0
	var run []PendingEntry
	flush := func() {
		if len(run) == 0 {
			return
		}
		p := run[0]
		args := make([]any, 0, 13+len(run))
		args = append(args, "XCLAIM", b.key, g.Name, p.Consumer, "0")
		for _, r := range run {
			args = append(args, r.ID.String())
		}
		args = append(args, "TIME", strconv.FormatInt(p.DeliveryTimeMS, 10),
			"RETRYCOUNT", strconv.FormatUint(p.DeliveryCount, 10), "FORCE", "JUSTID")
		b.cmd(args...)
		run = run[:0]
	}
	for _, p := range g.Pending {
		if !exists[p.ID] {
			lost++ // XCLAIM cannot create a PEL entry for a deleted entry
			continue
		}
		if len(p.Consumer) == 0 {
			lost++ // no consumer owns it: nothing to claim it for
			continue
		}
		if len(run) > 0 && (len(run) == batchElements || string(run[0].Consumer) != string(p.Consumer) ||
			run[0].DeliveryTimeMS != p.DeliveryTimeMS || run[0].DeliveryCount != p.DeliveryCount) {
			flush()
		}
		run = append(run, p)
	}
	flush()
	if lost > 0 {
		b.warn("group %q: %d pending entries refer to deleted stream entries (or no consumer) and cannot be recreated", g.Name, lost)
	}
}
