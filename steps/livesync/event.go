package livesync

import (
	"strconv"
	"strings"
)

// Pattern is the keyspace-notification pattern the sync subscribes to:
// one message per change of any key in any database, the channel naming
// the key and the message the event (set, del, expired, rename_to, ...).
const Pattern = "__keyspace@*__:*"

// parseChannel reads "__keyspace@3__:user:42" as db 3, key "user:42". Keys
// may hold any byte, ":" and "__" included: only the prefix is parsed.
func parseChannel(ch string) (dbKey, bool) {
	rest, ok := strings.CutPrefix(ch, "__keyspace@")
	if !ok {
		return dbKey{}, false
	}
	num, key, ok := strings.Cut(rest, "__:")
	if !ok {
		return dbKey{}, false
	}
	db, err := strconv.Atoi(num)
	if err != nil || db < 0 {
		return dbKey{}, false
	}
	return dbKey{db: db, key: key}, true
}
