package rdb

import "math"

// hash decodes every hash encoding; only types 22, 24 and 25 carry field
// TTLs.
func (d *decoder) hash(typ byte) (Value, error) {
	switch typ {
	case TypeHash:
		n, err := d.count("HASH field count")
		if err != nil {
			return nil, err
		}
		out := make(Hash, 0, n)
		for range n {
			f, err := d.str("HASH field")
			if err != nil {
				return nil, err
			}
			v, err := d.str("HASH value")
			if err != nil {
				return nil, err
			}
			out = append(out, HashField{Field: f, Value: v, ExpireMS: -1})
		}
		return out, nil
	case TypeHashZipmap:
		data, at, err := d.blob("HASH_ZIPMAP zipmap")
		if err != nil {
			return nil, err
		}
		var out Hash
		err = zipmapPairs(data, at, func(f, v []byte) {
			out = append(out, HashField{Field: f, Value: v, ExpireMS: -1})
		})
		return out, err
	case TypeHashZiplist, TypeHashListpack:
		data, at, err := d.blob(TypeName(typ) + " encoding")
		if err != nil {
			return nil, err
		}
		flat, err := d.elements(nil, data, at, typ == TypeHashZiplist)
		if err != nil {
			return nil, err
		}
		if len(flat)%2 != 0 {
			return nil, corrupt(at, "hash encoding holds %d elements, not field/value pairs", len(flat))
		}
		return pairs(flat), nil
	case TypeHashListpackEx:
		return d.hashListpackEx()
	case TypeHashMetadata:
		return d.hashMetadata()
	}
	return d.hash2()
}

func pairs(flat [][]byte) Hash {
	out := make(Hash, 0, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		out = append(out, HashField{Field: flat[i], Value: flat[i+1], ExpireMS: -1})
	}
	return out
}

// hashListpackEx: 8-byte minimum expiry (a hint, possibly stale), then a
// listpack of field, value, TTL triplets with TTL 0 meaning none.
func (d *decoder) hashListpackEx() (Value, error) {
	if _, err := d.s.u64le("HASH_LISTPACK_EX minimum expiry"); err != nil {
		return nil, err
	}
	data, at, err := d.blob("HASH_LISTPACK_EX listpack")
	if err != nil {
		return nil, err
	}
	l, err := openListpack(data, at)
	if err != nil {
		return nil, err
	}
	var out Hash
	for {
		f, ok, err := l.next()
		if err != nil || !ok {
			return out, err
		}
		v, ok, err := l.next()
		if err == nil && !ok {
			err = l.errf("field without value")
		}
		if err != nil {
			return nil, err
		}
		ttl, ok, err := l.next()
		if err == nil && (!ok || !ttl.isInt || ttl.n < 0) {
			err = l.errf("field without an integer TTL")
		}
		if err != nil {
			return nil, err
		}
		exp := ttl.n
		if exp == 0 {
			exp = -1
		}
		out = append(out, HashField{Field: d.elemBytes(f), Value: d.elemBytes(v), ExpireMS: exp})
	}
}

// hashMetadata: 8-byte minimum expiry, count, then per field a length-coded
// TTL (0 none, else expiry - minimum + 1), field, value.
func (d *decoder) hashMetadata() (Value, error) {
	minExp, err := d.s.u64le("HASH_METADATA minimum expiry")
	if err != nil {
		return nil, err
	}
	n, err := d.count("HASH_METADATA field count")
	if err != nil {
		return nil, err
	}
	out := make(Hash, 0, n)
	for range n {
		at := d.s.off()
		ttl, err := d.s.count("HASH_METADATA field TTL")
		if err != nil {
			return nil, err
		}
		exp := int64(-1)
		if ttl != 0 {
			abs := ttl + minExp - 1
			if abs < ttl || abs > math.MaxInt64 {
				return nil, corrupt(at, "field TTL %d overflows with minimum expiry %d", ttl, minExp)
			}
			exp = int64(abs)
		}
		f, err := d.str("HASH_METADATA field")
		if err != nil {
			return nil, err
		}
		v, err := d.str("HASH_METADATA value")
		if err != nil {
			return nil, err
		}
		out = append(out, HashField{Field: f, Value: v, ExpireMS: exp})
	}
	return out, nil
}

// hash2 is Valkey 9's HASH_2: count, then field, value and an 8-byte
// little-endian absolute expiry in ms (-1 none).
func (d *decoder) hash2() (Value, error) {
	n, err := d.count("HASH_2 field count")
	if err != nil {
		return nil, err
	}
	out := make(Hash, 0, n)
	for range n {
		f, err := d.str("HASH_2 field")
		if err != nil {
			return nil, err
		}
		v, err := d.str("HASH_2 value")
		if err != nil {
			return nil, err
		}
		exp, err := d.s.u64le("HASH_2 field expiry")
		if err != nil {
			return nil, err
		}
		e := int64(exp)
		if e < 0 {
			e = -1
		}
		out = append(out, HashField{Field: f, Value: v, ExpireMS: e})
	}
	return out, nil
}
