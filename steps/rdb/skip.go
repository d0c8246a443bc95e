package rdb

// Module value opcodes (RDB_MODULE_OPCODE_*): module values are a sequence
// of typed fields ending in EOF, so they can be skipped without the module.
const (
	moduleOpEOF    = 0
	moduleOpSint   = 1
	moduleOpUint   = 2
	moduleOpFloat  = 3
	moduleOpDouble = 4
	moduleOpString = 5
)

// skipValue walks the value of type typ without decoding it, so that Next
// finds where the record ends (and pins its bytes for Entry.Raw).
func (r *Reader) skipValue(typ byte, e *Entry) error {
	s := &r.s
	switch typ {
	case TypeString, TypeHashZipmap, TypeListZiplist, TypeSetIntset, TypeZSetZiplist,
		TypeHashZiplist, TypeHashListpack, TypeZSetListpack, TypeSetListpack:
		return s.skipStr("value string")
	case TypeList, TypeSet, TypeListQuicklist:
		return r.skipStrings("element count", "element", 1)
	case TypeHash:
		return r.skipStrings("HASH field count", "HASH field or value", 2)
	case TypeZSet:
		return r.skipZSet()
	case TypeZSet2:
		n, err := s.count("ZSET_2 member count")
		for ; err == nil && n > 0; n-- {
			if err = s.skipStr("ZSET_2 member"); err == nil {
				err = s.skip(8, "ZSET_2 binary score")
			}
		}
		return err
	case TypeListQuicklist2:
		n, err := s.count("LIST_QUICKLIST_2 node count")
		for ; err == nil && n > 0; n-- {
			if _, err = s.count("LIST_QUICKLIST_2 node container"); err == nil {
				err = s.skipStr("LIST_QUICKLIST_2 node")
			}
		}
		return err
	case TypeHashListpackEx:
		if err := s.skip(8, "HASH_LISTPACK_EX minimum expiry"); err != nil {
			return err
		}
		return s.skipStr("HASH_LISTPACK_EX listpack")
	case TypeHashMetadata:
		if err := s.skip(8, "HASH_METADATA minimum expiry"); err != nil {
			return err
		}
		n, err := s.count("HASH_METADATA field count")
		for ; err == nil && n > 0; n-- {
			if _, err = s.count("HASH_METADATA field TTL"); err == nil {
				if err = s.skipStr("HASH_METADATA field"); err == nil {
					err = s.skipStr("HASH_METADATA value")
				}
			}
		}
		return err
	case TypeHash2:
		if r.version < ValkeyVersion {
			break
		}
		n, err := s.count("HASH_2 field count")
		for ; err == nil && n > 0; n-- {
			if err = s.skipStr("HASH_2 field"); err == nil {
				if err = s.skipStr("HASH_2 value"); err == nil {
					err = s.skip(8, "HASH_2 field expiry")
				}
			}
		}
		return err
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		return r.skipStream(typ)
	case TypeModule2:
		at := s.off()
		id, err := s.count("module type id")
		if err != nil {
			return err
		}
		e.Module = moduleFromID(id)
		if err := r.skipModuleData(e.Module); err != nil {
			return atStart(err, at)
		}
		return nil
	}
	return unsupportedType(e.valueOffset, typ, r.version)
}

// unsupportedType names the offset where the value of type typ starts.
func unsupportedType(at int64, typ byte, version int) error {
	switch {
	case typ == TypeHash2 || typ == TypeHashListpackExPreGA:
		return corrupt(at, "value type %d under RDB version %d is a Redis 7.4 release-candidate hash format, which is not supported; re-save the data with a released server", typ, version)
	case typ == TypeModulePreGA:
		return corrupt(at, "value type 6 is the Redis 4.0 release-candidate module format, which is not supported")
	}
	return corrupt(at, "unknown value type %d (RDB version %d); the file may come from a newer server than this reader knows", typ, version)
}

// skipStrings skips a count followed by per strings per item.
func (r *Reader) skipStrings(countWhat, what string, per int) error {
	s := &r.s
	n, err := s.count(countWhat)
	for ; err == nil && n > 0; n-- {
		for range per {
			if err = s.skipStr(what); err != nil {
				break
			}
		}
	}
	return err
}

func (r *Reader) skipZSet() error {
	s := &r.s
	n, err := s.count("ZSET member count")
	for ; err == nil && n > 0; n-- {
		if err = s.skipStr("ZSET member"); err != nil {
			break
		}
		var b byte
		if b, err = s.byte1("ZSET score length"); err == nil && b < 253 {
			err = s.skip(uint64(b), "ZSET score")
		}
	}
	return err
}

func (r *Reader) skipStream(typ byte) error {
	s := &r.s
	n, err := s.count("stream listpack count")
	for ; err == nil && n > 0; n-- {
		if err = s.skipStr("stream node key"); err == nil {
			err = s.skipStr("stream listpack")
		}
	}
	meta := 3 // length, last ID
	if typ >= TypeStreamListpacks2 {
		meta += 5 // first ID, max deleted ID, entries added
	}
	for ; err == nil && meta > 0; meta-- {
		_, err = s.count("stream metadata")
	}
	if err != nil {
		return err
	}
	groups, err := s.count("stream consumer group count")
	for ; err == nil && groups > 0; groups-- {
		err = r.skipGroup(typ)
	}
	return err
}

func (r *Reader) skipGroup(typ byte) error {
	s := &r.s
	if err := s.skipStr("consumer group name"); err != nil {
		return err
	}
	meta := 2 // last delivered ID
	if typ >= TypeStreamListpacks2 {
		meta++ // entries read
	}
	for ; meta > 0; meta-- {
		if _, err := s.count("consumer group metadata"); err != nil {
			return err
		}
	}
	pel, err := s.count("consumer group PEL size")
	for ; err == nil && pel > 0; pel-- {
		if err = s.skip(16+8, "PEL entry ID and delivery time"); err == nil {
			_, err = s.count("PEL delivery count")
		}
	}
	if err != nil {
		return err
	}
	consumers, err := s.count("consumer count")
	for ; err == nil && consumers > 0; consumers-- {
		if err = s.skipStr("consumer name"); err != nil {
			break
		}
		times := uint64(8) // seen time
		if typ >= TypeStreamListpacks3 {
			times += 8 // active time
		}
		if err = s.skip(times, "consumer times"); err != nil {
			break
		}
		var ids uint64
		if ids, err = s.count("consumer PEL size"); err == nil {
			if ids > maxLen/16 {
				return corrupt(s.off(), "implausible consumer PEL size %d", ids)
			}
			err = s.skip(16*ids, "consumer PEL IDs")
		}
	}
	return err
}

// skipModuleData skips module-serialised fields up to their EOF opcode.
func (r *Reader) skipModuleData(m Module) error {
	s := &r.s
	for {
		at := s.off()
		op, err := s.count("module value opcode")
		if err != nil {
			return err
		}
		switch op {
		case moduleOpEOF:
			return nil
		case moduleOpSint, moduleOpUint:
			_, err = s.count("module value integer")
		case moduleOpFloat:
			err = s.skip(4, "module value float")
		case moduleOpDouble:
			err = s.skip(8, "module value double")
		case moduleOpString:
			err = s.skipStr("module value string")
		default:
			return corrupt(at, "unknown opcode %d in data of module type %s", op, m.Name)
		}
		if err != nil {
			return err
		}
	}
}
