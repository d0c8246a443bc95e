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
// finds where the record ends (and pins its bytes for Entry.Raw). It sets
// e.Empty for a collection without elements; with r.check it walks the
// compact encodings inside the value too (container).
func (r *Reader) skipValue(typ byte, e *Entry) error {
	s := &r.s
	var n uint64 // elements, for the types that start with a count
	var none bool
	var err error
	switch typ {
	case TypeString:
		return s.skipStr("value string")
	case TypeHashZipmap, TypeListZiplist, TypeSetIntset, TypeZSetZiplist, TypeHashZiplist,
		TypeHashListpack, TypeZSetListpack, TypeSetListpack:
		k, per := containerOf(typ)
		none, err = r.container(k, per, TypeName(typ)+" encoding")
	case TypeList, TypeSet:
		n, err = r.skipStrings("element count", "element", 1)
		none = n == 0
	case TypeHash:
		n, err = r.skipStrings("HASH field count", "HASH field or value", 2)
		none = n == 0
	case TypeZSet:
		n, err = r.skipZSet()
		none = n == 0
	case TypeZSet2:
		n, err = s.count("ZSET_2 member count")
		none = n == 0
		for ; err == nil && n > 0; n-- {
			if err = s.skipStr("ZSET_2 member"); err == nil {
				err = s.skip(8, "ZSET_2 binary score")
			}
		}
	case TypeListQuicklist, TypeListQuicklist2:
		none, err = r.skipQuicklist(typ)
	case TypeHashListpackEx:
		if err := s.skip(8, "HASH_LISTPACK_EX minimum expiry"); err != nil {
			return err
		}
		none, err = r.container(smallListpack, 3, "HASH_LISTPACK_EX listpack")
	case TypeHashMetadata:
		if err := s.skip(8, "HASH_METADATA minimum expiry"); err != nil {
			return err
		}
		n, err = s.count("HASH_METADATA field count")
		none = n == 0
		for ; err == nil && n > 0; n-- {
			if _, err = s.count("HASH_METADATA field TTL"); err == nil {
				if err = s.skipStr("HASH_METADATA field"); err == nil {
					err = s.skipStr("HASH_METADATA value")
				}
			}
		}
	case TypeHash2:
		if r.version < ValkeyVersion {
			return unsupportedType(e.valueOffset, typ, r.version)
		}
		n, err = s.count("HASH_2 field count")
		none = n == 0
		for ; err == nil && n > 0; n-- {
			if err = s.skipStr("HASH_2 field"); err == nil {
				if err = s.skipStr("HASH_2 value"); err == nil {
					err = s.skip(8, "HASH_2 field expiry")
				}
			}
		}
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
	default:
		return unsupportedType(e.valueOffset, typ, r.version)
	}
	e.Empty = none
	return err
}

// containerOf is the compact encoding of a value type stored as one
// string, and how many elements make one item (field and value, member
// and score).
func containerOf(typ byte) (small, int) {
	switch typ {
	case TypeHashZipmap:
		return smallZipmap, 1
	case TypeListZiplist:
		return smallZiplist, 1
	case TypeZSetZiplist, TypeHashZiplist:
		return smallZiplist, 2
	case TypeSetIntset:
		return smallIntset, 1
	case TypeHashListpack, TypeZSetListpack:
		return smallListpack, 2
	}
	return smallListpack, 1
}

// container reads one RDB string holding a compact encoding and reports
// whether it holds no element. Checking, it walks the whole encoding and
// wants a multiple of per elements; otherwise it only reads the string's
// length, since an encoding that passed the check is empty exactly when
// it has its minimal size.
func (r *Reader) container(k small, per int, what string) (empty bool, err error) {
	s := &r.s
	if !r.check {
		n, intEnc, err := s.strLen(what)
		return !intEnc && n == k.emptySize(), err
	}
	at := s.off()
	if r.blobBuf, err = s.appendStr(r.blobBuf[:0], what); err != nil {
		return false, err
	}
	n, err := elementCount(k, r.blobBuf, at)
	if cap(r.blobBuf) > shrinkAbove {
		r.blobBuf = nil
	}
	if err == nil && n%per != 0 {
		err = corrupt(at, "the %s holds %d elements, not groups of %d", k, n, per)
	}
	return n == 0, err
}

// skipQuicklist walks a quicklist's nodes (ziplists for type 14; plain
// elements or listpacks for type 18); the list is empty when every node
// is (the server drops empty nodes when it loads them).
func (r *Reader) skipQuicklist(typ byte) (empty bool, err error) {
	s := &r.s
	n, err := s.count("quicklist node count")
	empty = true
	for ; err == nil && n > 0; n-- {
		k, container := smallZiplist, uint64(2)
		if typ == TypeListQuicklist2 {
			k = smallListpack
			at := s.off()
			if container, err = s.count("quicklist node container"); err != nil {
				break
			}
			if container != 1 && container != 2 {
				return false, corrupt(at, "quicklist node container %d, want 1 (plain) or 2 (packed)", container)
			}
		}
		if container == 1 {
			empty = false
			err = s.skipStr("quicklist plain node")
			continue
		}
		var e bool
		e, err = r.container(k, 1, "quicklist node")
		empty = empty && e
	}
	return empty, err
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

// skipStrings skips a count followed by per strings per item, and returns
// the count.
func (r *Reader) skipStrings(countWhat, what string, per int) (uint64, error) {
	s := &r.s
	n, err := s.count(countWhat)
	for i := n; err == nil && i > 0; i-- {
		for range per {
			if err = s.skipStr(what); err != nil {
				break
			}
		}
	}
	return n, err
}

func (r *Reader) skipZSet() (uint64, error) {
	s := &r.s
	n, err := s.count("ZSET member count")
	for i := n; err == nil && i > 0; i-- {
		if err = s.skipStr("ZSET member"); err != nil {
			break
		}
		var b byte
		if b, err = s.byte1("ZSET score length"); err == nil && b < 253 {
			err = s.skip(uint64(b), "ZSET score")
		}
	}
	return n, err
}

func (r *Reader) skipStream(typ byte) error {
	s := &r.s
	n, err := s.count("stream listpack count")
	for ; err == nil && n > 0; n-- {
		at := s.off()
		var keyLen uint64
		var intEnc bool
		if keyLen, intEnc, err = s.strLen("stream node key"); err != nil {
			break
		}
		if keyLen != 16 || intEnc {
			return corrupt(at, "stream node key has %d bytes, want a 16-byte ID", keyLen)
		}
		var empty bool
		at = s.off()
		if empty, err = r.container(smallListpack, 1, "stream listpack"); err == nil && empty && r.check {
			return corrupt(at, "empty listpack in a stream (the server refuses it: a stream drops a node once its last entry goes)")
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
