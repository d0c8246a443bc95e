package awsstub

import (
	"strconv"
	"strings"
)

// A serverless cache publishes, under dimension clusterId, the engine
// metrics that make sense for a cache without nodes and its own ECPU,
// latency and throttling metrics; no CPU, fragmentation, replication or
// persistence metrics. The stand-in computes them from the source's INFO
// (with commandstats for the latencies).

// serverlessMetric computes one serverless cache metric; maxECPU is the
// cache's ECPU-per-second limit (0: none).
func serverlessMetric(name string, w window, maxECPU int) (float64, bool) {
	switch name {
	case "BytesUsedForCache", "CurrItems", "CurrVolatileItems", "CurrConnections", "NewConnections",
		"CacheHitRate", "Evictions", "NetworkBytesIn", "NetworkBytesOut":
		return metric(name, w)
	case "TotalCmdsCount":
		return w.perPeriod("total_commands_processed")
	case "CacheHits":
		return w.perPeriod("keyspace_hits")
	case "ElastiCacheProcessingUnits":
		return w.ecpu()
	case "ThrottledCmds":
		return w.throttled(maxECPU)
	case "SuccessfulReadRequestLatency":
		return w.latency(readCommands)
	case "SuccessfulWriteRequestLatency":
		return w.latency(writeCommands)
	}
	return 0, false
}

// ecpu is the ECPUs of one period as AWS bills them for simple commands:
// one per command, or one per kilobyte moved when that is more.
func (w window) ecpu() (float64, bool) {
	cmds, ok1 := w.perPeriod("total_commands_processed")
	in, ok2 := w.perPeriod("total_net_input_bytes")
	out, ok3 := w.perPeriod("total_net_output_bytes")
	return max(cmds, (in+out)/1024), ok1 && ok2 && ok3
}

// throttled is the share of the period's commands beyond the ECPU limit.
func (w window) throttled(maxECPU int) (float64, bool) {
	ecpu, ok := w.ecpu()
	cmds, _ := w.perPeriod("total_commands_processed")
	limit := float64(maxECPU) * w.period.Seconds()
	if !ok || maxECPU == 0 || ecpu <= limit {
		return 0, ok
	}
	return cmds * (ecpu - limit) / ecpu, true
}

// latency is the mean server time per call, in microseconds, of the
// commands over the window; no datapoint without calls.
func (w window) latency(commands map[string]bool) (float64, bool) {
	usec, calls := w.cur.cmdstats(commands)
	if w.base != nil {
		u, c := w.base.cmdstats(commands)
		usec, calls = usec-u, calls-c
	}
	if calls <= 0 {
		return 0, false
	}
	return usec / calls, true
}

// cmdstats sums usec and calls of the commands in INFO commandstats
// (cmdstat_get:calls=3,usec=12,...).
func (s sample) cmdstats(commands map[string]bool) (usec, calls float64) {
	for k, v := range s.fields {
		name, ok := strings.CutPrefix(k, "cmdstat_")
		if !ok || !commands[name] {
			continue
		}
		for _, kv := range strings.Split(v, ",") {
			field, val, _ := strings.Cut(kv, "=")
			f, err := strconv.ParseFloat(val, 64)
			switch {
			case err != nil:
			case field == "usec":
				usec += f
			case field == "calls":
				calls += f
			}
		}
	}
	return usec, calls
}

// readCommands and writeCommands are the common data commands that AWS
// counts as read and write requests.
var readCommands = set("get", "mget", "getrange", "strlen", "exists", "ttl", "pttl", "type", "hget", "hmget",
	"hgetall", "hexists", "hlen", "hkeys", "hvals", "lrange", "lindex", "llen", "smembers", "sismember", "scard",
	"zrange", "zscore", "zcard", "zrangebyscore", "zrank", "scan", "hscan", "sscan", "zscan", "dump", "xrange",
	"xlen", "pfcount", "getbit", "bitcount")

var writeCommands = set("set", "setex", "psetex", "setnx", "mset", "getset", "getdel", "incr", "incrby", "decr",
	"decrby", "append", "del", "unlink", "expire", "pexpire", "persist", "hset", "hmset", "hdel", "hincrby",
	"lpush", "rpush", "lpop", "rpop", "lset", "ltrim", "sadd", "srem", "spop", "zadd", "zrem", "zincrby", "xadd",
	"restore", "rename", "pfadd", "setbit")

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
