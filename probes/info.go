package probes

import (
	"strconv"
	"strings"
)

// Info is one INFO reply: the fields the panes, rates and mapping use,
// typed, and every field in Raw. A field the server did not report is
// zero; Has tells the two apart.
type Info struct {
	Raw map[string]string

	// server
	RedisVersion  string
	ValkeyVersion string // empty for Redis
	RunID         string
	Mode          string // standalone, sentinel, cluster
	ProcessID     int64
	Uptime        int64 // seconds

	// clients
	ConnectedClients int64
	BlockedClients   int64

	// memory
	UsedMemory            int64
	UsedMemoryRSS         int64
	MaxMemory             int64
	MaxMemoryPolicy       string
	MemFragmentationRatio float64

	// persistence
	Loading             bool
	RDBBgsaveInProgress bool
	RDBLastSaveTime     int64 // unix seconds
	RDBLastBgsaveStatus string
	RDBChangesSinceSave int64
	AOFEnabled          bool
	AOFRewriteRunning   bool
	AOFLastWriteStatus  string

	// stats
	TotalConnectionsReceived int64
	TotalCommandsProcessed   int64
	InstantaneousOpsPerSec   int64
	TotalNetInputBytes       int64
	TotalNetOutputBytes      int64
	RejectedConnections      int64
	ExpiredKeys              int64
	EvictedKeys              int64
	KeyspaceHits             int64
	KeyspaceMisses           int64

	// replication
	Role                   string // master or slave
	ConnectedSlaves        int64
	Slaves                 []Slave
	MasterHost             string
	MasterPort             int64
	MasterLinkStatus       string // up or down, on a replica
	MasterLastIOSecondsAgo int64
	MasterLinkDownSince    int64
	SlaveReplOffset        int64
	MasterReplOffset       int64

	// cpu, seconds
	UsedCPUSys  float64
	UsedCPUUser float64

	// cluster
	ClusterEnabled bool

	// keyspace, in db order
	Keyspace []DB
}

// Slave is one slaveN line of a primary's replication section.
type Slave struct {
	IP     string
	Port   int64
	State  string // online, wait_bgsave, send_bulk, ...
	Offset int64
	Lag    int64 // seconds since the replica's last ack
}

// Addr is ip:port.
func (s Slave) Addr() string { return s.IP + ":" + strconv.FormatInt(s.Port, 10) }

// DB is one dbN line of the keyspace section.
type DB struct {
	Index   int
	Keys    int64
	Expires int64
	AvgTTL  int64 // milliseconds
}

// Has reports whether the server reported a field.
func (in Info) Has(field string) bool {
	_, ok := in.Raw[field]
	return ok
}

// Keys is the number of keys in every db.
func (in Info) Keys() int64 {
	var n int64
	for _, d := range in.Keyspace {
		n += d.Keys
	}
	return n
}

// Expires is the number of keys with a TTL in every db.
func (in Info) Expires() int64 {
	var n int64
	for _, d := range in.Keyspace {
		n += d.Expires
	}
	return n
}

// HitRate is hits / (hits + misses) since the server started; ok is false
// before the first lookup.
func (in Info) HitRate() (rate float64, ok bool) {
	return ratio(in.KeyspaceHits, in.KeyspaceHits+in.KeyspaceMisses)
}

// MemoryUsage is used_memory / maxmemory; ok is false without a limit.
func (in Info) MemoryUsage() (frac float64, ok bool) {
	return ratio(in.UsedMemory, in.MaxMemory)
}

// IsPrimary reports role:master.
func (in Info) IsPrimary() bool { return in.Role == "master" }

func ratio(a, b int64) (float64, bool) {
	if b <= 0 {
		return 0, false
	}
	return float64(a) / float64(b), true
}

// ParseInfo reads an INFO reply (any sections, CRLF or LF line ends).
// Lines it cannot read are kept in Raw only; it never fails.
func ParseInfo(text string) Info {
	in := Info{Raw: make(map[string]string, 256)}
	for len(text) > 0 {
		var line string
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			line, text = text, ""
		}
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		in.Raw[k] = v
		in.set(k, v)
	}
	return in
}

// set fills the typed field named k.
func (in *Info) set(k, v string) {
	switch k {
	case "redis_version":
		in.RedisVersion = v
	case "valkey_version":
		in.ValkeyVersion = v
	case "run_id":
		in.RunID = v
	case "redis_mode", "server_mode":
		in.Mode = v
	case "process_id":
		in.ProcessID = atoi(v)
	case "uptime_in_seconds":
		in.Uptime = atoi(v)
	case "connected_clients":
		in.ConnectedClients = atoi(v)
	case "blocked_clients":
		in.BlockedClients = atoi(v)
	case "used_memory":
		in.UsedMemory = atoi(v)
	case "used_memory_rss":
		in.UsedMemoryRSS = atoi(v)
	case "maxmemory":
		in.MaxMemory = atoi(v)
	case "maxmemory_policy":
		in.MaxMemoryPolicy = v
	case "mem_fragmentation_ratio":
		in.MemFragmentationRatio = atof(v)
	case "loading":
		in.Loading = v == "1"
	case "rdb_bgsave_in_progress":
		in.RDBBgsaveInProgress = v == "1"
	case "rdb_last_save_time":
		in.RDBLastSaveTime = atoi(v)
	case "rdb_last_bgsave_status":
		in.RDBLastBgsaveStatus = v
	case "rdb_changes_since_last_save":
		in.RDBChangesSinceSave = atoi(v)
	case "aof_enabled":
		in.AOFEnabled = v == "1"
	case "aof_rewrite_in_progress":
		in.AOFRewriteRunning = v == "1"
	case "aof_last_write_status":
		in.AOFLastWriteStatus = v
	case "total_connections_received":
		in.TotalConnectionsReceived = atoi(v)
	case "total_commands_processed":
		in.TotalCommandsProcessed = atoi(v)
	case "instantaneous_ops_per_sec":
		in.InstantaneousOpsPerSec = atoi(v)
	case "total_net_input_bytes":
		in.TotalNetInputBytes = atoi(v)
	case "total_net_output_bytes":
		in.TotalNetOutputBytes = atoi(v)
	case "rejected_connections":
		in.RejectedConnections = atoi(v)
	case "expired_keys":
		in.ExpiredKeys = atoi(v)
	case "evicted_keys":
		in.EvictedKeys = atoi(v)
	case "keyspace_hits":
		in.KeyspaceHits = atoi(v)
	case "keyspace_misses":
		in.KeyspaceMisses = atoi(v)
	case "role":
		in.Role = v
	case "connected_slaves":
		in.ConnectedSlaves = atoi(v)
	case "master_host":
		in.MasterHost = v
	case "master_port":
		in.MasterPort = atoi(v)
	case "master_link_status":
		in.MasterLinkStatus = v
	case "master_last_io_seconds_ago":
		in.MasterLastIOSecondsAgo = atoi(v)
	case "master_link_down_since_seconds":
		in.MasterLinkDownSince = atoi(v)
	case "slave_repl_offset":
		in.SlaveReplOffset = atoi(v)
	case "master_repl_offset":
		in.MasterReplOffset = atoi(v)
	case "used_cpu_sys":
		in.UsedCPUSys = atof(v)
	case "used_cpu_user":
		in.UsedCPUUser = atof(v)
	case "cluster_enabled":
		in.ClusterEnabled = v == "1"
	default:
		in.setIndexed(k, v)
	}
}

// setIndexed reads slaveN and dbN lines.
func (in *Info) setIndexed(k, v string) {
	if _, ok := suffixIndex(k, "slave"); ok {
		f := fields(v)
		in.Slaves = append(in.Slaves, Slave{IP: f["ip"], Port: atoi(f["port"]), State: f["state"],
			Offset: atoi(f["offset"]), Lag: atoi(f["lag"])})
	} else if n, ok := suffixIndex(k, "db"); ok {
		f := fields(v)
		in.Keyspace = append(in.Keyspace, DB{Index: n, Keys: atoi(f["keys"]), Expires: atoi(f["expires"]), AvgTTL: atoi(f["avg_ttl"])})
	}
}

// suffixIndex reads the N of prefixN.
func suffixIndex(k, prefix string) (int, bool) {
	if !strings.HasPrefix(k, prefix) || len(k) == len(prefix) {
		return 0, false
	}
	n, err := strconv.Atoi(k[len(prefix):])
	return n, err == nil && n >= 0
}

// fields reads "a=1,b=2".
func fields(v string) map[string]string {
	m := make(map[string]string, 5)
	for v != "" {
		var kv string
		kv, v, _ = strings.Cut(v, ",")
		if k, val, ok := strings.Cut(kv, "="); ok {
			m[k] = val
		}
	}
	return m
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func atof(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// ReplicaLag is the largest lag among a primary's replicas: bytes behind
// (master_repl_offset - the replica's offset) and seconds since its last
// ack. ok is false without replicas.
func (in Info) ReplicaLag() (bytes, seconds int64, ok bool) {
	for _, s := range in.Slaves {
		bytes = max(bytes, in.MasterReplOffset-s.Offset)
		seconds = max(seconds, s.Lag)
	}
	return bytes, seconds, len(in.Slaves) > 0
}
