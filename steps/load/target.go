package load

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/steps/rdb"
)

// Target is what the loader learns about the server before writing.
type Target struct {
	Addr       string
	Engine     string // "redis 7.0.15", "valkey 9.0.1"
	RDBVersion int    // the newest RDB version it loads
	Caps       rdb.Capabilities
	Keys       map[int]int64 // keys per db now (a cluster's summed)
	AOF        bool
	PerNode    map[string]int64 // a cluster's keys per primary
}

// Probe reads INFO from the target: version, role, keys and persistence.
func Probe(ctx context.Context, c *redis.Client) (*Target, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	text, err := c.Info(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("cannot read INFO from the target %s: %s", c.Options().Addr, probes.Explain(err))
	}
	in := probes.ParseInfo(text)
	if in.Role != "" && in.Role != "master" {
		return nil, fmt.Errorf("the target %s is a replica (role:%s); load into its primary", c.Options().Addr, in.Role)
	}
	if in.Loading {
		return nil, fmt.Errorf("the target %s is still loading its data set; retry when INFO persistence shows loading:0", c.Options().Addr)
	}
	t := &Target{Addr: c.Options().Addr, RDBVersion: RDBVersionOf(in.RedisVersion, in.ValkeyVersion),
		Caps: rdb.CapabilitiesFor(in.RedisVersion, in.ValkeyVersion), Keys: map[int]int64{}, AOF: in.AOFEnabled}
	t.Engine = "redis " + in.RedisVersion
	if in.ValkeyVersion != "" {
		t.Engine = "valkey " + in.ValkeyVersion
	}
	for _, db := range in.Keyspace {
		if db.Keys > 0 {
			t.Keys[db.Index] = db.Keys
		}
	}
	return t, nil
}

// RDBVersionOf maps a server version to the RDB version it writes (and the
// newest it loads): Redis 7.0 -> 10, 7.2 -> 11, 7.4+ -> 12; Valkey 7.2/8
// -> 11, 9+ -> 80. Unknown newer versions map to the newest known, which
// is safe: a server loads every older version.
func RDBVersionOf(redisVersion, valkeyVersion string) int {
	if valkeyVersion != "" {
		if ver(valkeyVersion) >= 900 {
			return rdb.ValkeyVersion
		}
		return 11
	}
	switch v := ver(redisVersion); {
	case v >= 704:
		return 12
	case v >= 702:
		return 11
	case v >= 700:
		return 10
	case v >= 500:
		return 9
	case v >= 400:
		return 8
	case v >= 302:
		return 7
	}
	return 6
}

// ver turns "7.2.4" into 702.
func ver(s string) int {
	parts := strings.SplitN(s, ".", 3)
	major, _ := strconv.Atoi(parts[0])
	minor := 0
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	return major*100 + minor
}

// Busy lists the target's non-empty databases among dbs, as "db0=12".
func (t *Target) Busy(dbs []int) []string {
	var out []string
	sort.Ints(dbs)
	for _, db := range dbs {
		if n := t.Keys[db]; n > 0 {
			out = append(out, fmt.Sprintf("db%d=%d", db, n))
		}
	}
	return out
}
