package rdb

import "fmt"

// RDB value type bytes (the byte before a key, and the first byte of a DUMP
// payload).
const (
	TypeString           byte = 0
	TypeList             byte = 1
	TypeSet              byte = 2
	TypeZSet             byte = 3 // scores as strings
	TypeHash             byte = 4
	TypeZSet2            byte = 5 // scores as binary doubles
	TypeModulePreGA      byte = 6
	TypeModule2          byte = 7
	TypeHashZipmap       byte = 9
	TypeListZiplist      byte = 10
	TypeSetIntset        byte = 11
	TypeZSetZiplist      byte = 12
	TypeHashZiplist      byte = 13
	TypeListQuicklist    byte = 14
	TypeStreamListpacks  byte = 15
	TypeHashListpack     byte = 16
	TypeZSetListpack     byte = 17
	TypeListQuicklist2   byte = 18
	TypeStreamListpacks2 byte = 19
	TypeSetListpack      byte = 20
	TypeStreamListpacks3 byte = 21
	// TypeHash2 is Valkey 9's hash with field TTLs (RDB 80). Redis used the
	// same byte for a 7.4 release-candidate format, which is not supported.
	TypeHash2               byte = 22
	TypeHashListpackExPreGA byte = 23
	TypeHashMetadata        byte = 24 // Redis 7.4+: hash table hash with field TTLs
	TypeHashListpackEx      byte = 25 // Redis 7.4+: listpack hash with field TTLs
)

// ValkeyVersion is the first RDB version written under the VALKEY header;
// versions from here on belong to Valkey, whose type numbering forked from
// Redis after RDB 11.
const ValkeyVersion = 80

var typeNames = map[byte]string{
	TypeString: "STRING", TypeList: "LIST", TypeSet: "SET", TypeZSet: "ZSET",
	TypeHash: "HASH", TypeZSet2: "ZSET_2", TypeModulePreGA: "MODULE_PRE_GA",
	TypeModule2: "MODULE_2", TypeHashZipmap: "HASH_ZIPMAP",
	TypeListZiplist: "LIST_ZIPLIST", TypeSetIntset: "SET_INTSET",
	TypeZSetZiplist: "ZSET_ZIPLIST", TypeHashZiplist: "HASH_ZIPLIST",
	TypeListQuicklist: "LIST_QUICKLIST", TypeStreamListpacks: "STREAM_LISTPACKS",
	TypeHashListpack: "HASH_LISTPACK", TypeZSetListpack: "ZSET_LISTPACK",
	TypeListQuicklist2: "LIST_QUICKLIST_2", TypeStreamListpacks2: "STREAM_LISTPACKS_2",
	TypeSetListpack: "SET_LISTPACK", TypeStreamListpacks3: "STREAM_LISTPACKS_3",
	TypeHash2: "HASH_2", TypeHashListpackExPreGA: "HASH_LISTPACK_EX_PRE_GA",
	TypeHashMetadata: "HASH_METADATA", TypeHashListpackEx: "HASH_LISTPACK_EX",
}

// TypeName is the Redis source name of an RDB type byte, e.g. "SET_LISTPACK".
func TypeName(typ byte) string {
	if n, ok := typeNames[typ]; ok {
		return n
	}
	return fmt.Sprintf("UNKNOWN_%d", typ)
}

// Kind is the data type a value has on a server (what TYPE answers).
type Kind string

const (
	KindString Kind = "string"
	KindList   Kind = "list"
	KindSet    Kind = "set"
	KindZSet   Kind = "zset"
	KindHash   Kind = "hash"
	KindStream Kind = "stream"
	KindModule Kind = "module"
)

// KindOf maps an RDB type byte to its data type; "" for unknown bytes.
func KindOf(typ byte) Kind {
	switch typ {
	case TypeString:
		return KindString
	case TypeList, TypeListZiplist, TypeListQuicklist, TypeListQuicklist2:
		return KindList
	case TypeSet, TypeSetIntset, TypeSetListpack:
		return KindSet
	case TypeZSet, TypeZSet2, TypeZSetZiplist, TypeZSetListpack:
		return KindZSet
	case TypeHash, TypeHashZipmap, TypeHashZiplist, TypeHashListpack, TypeHash2,
		TypeHashListpackExPreGA, TypeHashMetadata, TypeHashListpackEx:
		return KindHash
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		return KindStream
	case TypeModulePreGA, TypeModule2:
		return KindModule
	}
	return ""
}

// MinVersion is the lowest RDB version whose loader knows the type byte, or
// -1 for bytes no released server writes (pre-release formats, unknown).
// Type 22 is Valkey's HASH_2 and needs Valkey's RDB 80.
func MinVersion(typ byte) int {
	switch typ {
	case TypeString, TypeList, TypeSet, TypeZSet, TypeHash:
		return 1
	case TypeHashZipmap, TypeListZiplist, TypeSetIntset, TypeZSetZiplist:
		return 2 // Redis 2.4
	case TypeHashZiplist:
		return 6 // Redis 2.6
	case TypeListQuicklist:
		return 7 // Redis 3.2
	case TypeZSet2, TypeModule2:
		return 8 // Redis 4.0
	case TypeStreamListpacks:
		return 9 // Redis 5.0
	case TypeHashListpack, TypeZSetListpack, TypeListQuicklist2, TypeStreamListpacks2:
		return 10 // Redis 7.0
	case TypeSetListpack, TypeStreamListpacks3:
		return 11 // Redis 7.2, Valkey 7.2 and 8
	case TypeHashMetadata, TypeHashListpackEx:
		return 12 // Redis 7.4
	case TypeHash2:
		return ValkeyVersion
	}
	return -1
}

// RestorableOn reports whether a server whose RDB version is target can
// RESTORE a DUMP payload of type typ (stamped with the target's version).
// Redis (RDB 12 and later Redis versions) and Valkey (RDB 80 and later)
// share the types up to 21; only Redis knows 24/25 and only Valkey knows 22.
func RestorableOn(typ byte, target int) bool {
	mv := MinVersion(typ)
	if mv < 0 || target < mv {
		return false
	}
	switch typ {
	case TypeHashMetadata, TypeHashListpackEx:
		return target < ValkeyVersion
	}
	return true
}
