package awsstub

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// paramDefault is one engine default as ElastiCache's default parameter
// group for Redis 7 shows it (note maxmemory-policy volatile-lru, not the
// open-source noeviction).
type paramDefault struct {
	name, value, dataType, allowed, description string
	modifiable                                  bool
	changeType                                  string // "immediate" or "requires-reboot"
}

var redis7Defaults = []paramDefault{
	{"activedefrag", "no", "string", "yes,no", "Enabled active memory defragmentation", true, "immediate"},
	{"appendonly", "no", "string", "yes,no", "Enable Redis persistence.", false, "immediate"},
	{"close-on-replica-write", "yes", "string", "yes,no", "If enabled, clients who attempt to write to a read-only replica will be disconnected.", true, "immediate"},
	{"cluster-enabled", "no", "string", "yes,no", "Enable cluster mode", true, "requires-reboot"},
	{"databases", "16", "integer", "1-1200000", "Set the number of databases.", true, "requires-reboot"},
	{"hash-max-listpack-entries", "128", "integer", "0-", "The maximum number of hash entries in order for the dataset to be compressed.", true, "immediate"},
	{"latency-tracking", "yes", "string", "yes,no", "Enable extended latency monitoring.", true, "immediate"},
	{"lazyfree-lazy-eviction", "no", "string", "yes,no", "Perform an asynchronous delete on evictions.", true, "immediate"},
	{"lazyfree-lazy-expire", "no", "string", "yes,no", "Perform an asynchronous delete on expired keys.", true, "immediate"},
	{"list-max-listpack-size", "-2", "integer", "-5,-4,-3,-2,-1,1-", "The number of entries allowed per internal list node.", true, "immediate"},
	{"lua-time-limit", "5000", "integer", "5000", "Max execution time of a Lua script in milliseconds.", false, "immediate"},
	{"maxclients", "65000", "integer", "1-65000", "The maximum number of Redis clients.", false, "immediate"},
	{"maxmemory-policy", "volatile-lru", "string", "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction", "Max memory policy.", true, "immediate"},
	{"maxmemory-samples", "3", "integer", "1-", "Max memory samples.", true, "immediate"},
	{"min-replicas-to-write", "0", "integer", "0-", "Minimum number of replicas that must be present for the master to accept writes.", true, "immediate"},
	{"notify-keyspace-events", "", "string", "", "The keyspace events for Redis to notify Pub/Sub clients about.", true, "immediate"},
	{"repl-backlog-size", "1048576", "integer", "16384-", "The replication backlog size in bytes for PSYNC.", true, "immediate"},
	{"reserved-memory-percent", "25", "integer", "0-100", "The percent of memory reserved for non-cache memory usage.", true, "immediate"},
	{"set-max-intset-entries", "512", "integer", "0-", "The limit in the size of the set in order for the dataset to be compressed.", true, "immediate"},
	{"slowlog-log-slower-than", "10000", "integer", "-", "The execution time, in microseconds, to exceed in order for the command to get logged.", true, "immediate"},
	{"slowlog-max-len", "128", "integer", "0-", "The length of the slow log.", true, "immediate"},
	{"tcp-keepalive", "300", "integer", "0-", "If non-zero, send ACKs every given number of seconds.", true, "immediate"},
	{"timeout", "0", "integer", "0,20-", "Close connection if client is idle for a given number of seconds, or never if 0.", true, "immediate"},
	{"zset-max-listpack-entries", "128", "integer", "0-", "The maximum number of sorted set entries in order for the dataset to be compressed.", true, "immediate"},
}

// family is the parameter group family, e.g. "redis7" or "valkey8".
func (s *Server) family() string {
	major, _, _ := strings.Cut(s.cfg.EngineVersion, ".")
	if s.cfg.Engine == "redis" && major == "6" {
		return "redis6.x"
	}
	return s.cfg.Engine + major
}

func (s *Server) defaultGroupName() string { return "default." + s.family() }

// paramGroupName is the group the clusters use: custom when Parameters
// override anything.
func (s *Server) paramGroupName() string {
	if len(s.cfg.Parameters) == 0 {
		return s.defaultGroupName()
	}
	return s.cfg.ReplicationGroupID + "-params"
}

// parameters lists a group's parameters: defaults with Source "system", and
// in the custom group the overridden ones with Source "user".
func (s *Server) parameters(group string) []xmlParameter {
	custom := group != s.defaultGroupName()
	var out []xmlParameter
	seen := map[string]bool{}
	for _, d := range redis7Defaults {
		p := xmlParameter{
			ParameterName: d.name, ParameterValue: d.value, Description: d.description, Source: "system",
			DataType: d.dataType, AllowedValues: d.allowed, IsModifiable: d.modifiable,
			MinimumEngineVersion: "7.0.0", ChangeType: d.changeType,
		}
		if v, ok := s.cfg.Parameters[d.name]; ok && custom {
			p.ParameterValue, p.Source = v, "user"
		}
		seen[d.name] = true
		out = append(out, p)
	}
	if custom {
		for name, v := range s.cfg.Parameters {
			if !seen[name] {
				out = append(out, xmlParameter{ParameterName: name, ParameterValue: v, Source: "user", DataType: "string",
					IsModifiable: true, MinimumEngineVersion: "7.0.0", ChangeType: "immediate"})
			}
		}
	}
	slices.SortFunc(out, func(a, b xmlParameter) int { return strings.Compare(a.ParameterName, b.ParameterName) })
	return out
}

func (s *Server) describeCacheParameters(f url.Values) (any, error) {
	group := f.Get("CacheParameterGroupName")
	if group == "" {
		return nil, missing("CacheParameterGroupName")
	}
	if group != s.defaultGroupName() && group != s.paramGroupName() {
		return nil, APIError{Status: 404, Code: "CacheParameterGroupNotFound", Message: fmt.Sprintf("CacheParameterGroup %s not found.", group)}
	}
	all := s.parameters(group)
	if src := f.Get("Source"); src != "" {
		all = slices.DeleteFunc(all, func(p xmlParameter) bool { return p.Source != src })
	}
	params, marker, err := page(all, f, 100, 20, 100)
	if err != nil {
		return nil, err
	}
	return struct {
		Parameters []xmlParameter `xml:"Parameters>Parameter"`
		Marker     string         `xml:"Marker,omitempty"`
	}{params, marker}, nil
}
