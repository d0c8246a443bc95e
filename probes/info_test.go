package probes

import (
	"os"
	"reflect"
	"testing"
)

func readInfo(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The testdata files are INFO replies captured from redis-server 7.0.15:
// a primary with one replica and keys in db0 and db2, that replica with
// its link up and then down, and an empty standalone server.
func TestParseInfo(t *testing.T) {
	t.Parallel()
	keyspace := []DB{{Index: 0, Keys: 700, Expires: 200, AvgTTL: 3599284}, {Index: 2, Keys: 2, Expires: 1, AvgTTL: 99285}}
	replicaKeyspace := []DB{{Index: 0, Keys: 700, Expires: 200}, {Index: 2, Keys: 2, Expires: 1}}
	tests := []struct {
		file  string
		check func(t *testing.T, in Info)
	}{
		{"info-primary-with-replica.txt", func(t *testing.T, in Info) {
			eq(t, "role", in.Role, "master")
			eq(t, "version", in.RedisVersion, "7.0.15")
			eq(t, "valkey", in.ValkeyVersion, "")
			eq(t, "run_id", in.RunID, "7d571a1fcd9a61a8d8a71a809c693fc7215bffb6")
			eq(t, "mode", in.Mode, "standalone")
			eq(t, "pid", in.ProcessID, int64(17872))
			eq(t, "uptime", in.Uptime, int64(12))
			eq(t, "clients", in.ConnectedClients, int64(1))
			eq(t, "conns", in.TotalConnectionsReceived, int64(7))
			eq(t, "cmds", in.TotalCommandsProcessed, int64(1127))
			eq(t, "ops", in.InstantaneousOpsPerSec, int64(696))
			eq(t, "hits", in.KeyspaceHits, int64(300))
			eq(t, "misses", in.KeyspaceMisses, int64(100))
			eq(t, "used", in.UsedMemory, int64(1221424))
			eq(t, "rss", in.UsedMemoryRSS, int64(12668928))
			eq(t, "maxmemory", in.MaxMemory, int64(67108864))
			eq(t, "policy", in.MaxMemoryPolicy, "allkeys-lru")
			eq(t, "frag", in.MemFragmentationRatio, 10.73)
			eq(t, "evicted", in.EvictedKeys, int64(0))
			eq(t, "cpu sys", in.UsedCPUSys, 0.021607)
			eq(t, "cpu user", in.UsedCPUUser, 0.022496)
			eq(t, "net in", in.TotalNetInputBytes, int64(37533))
			eq(t, "net out", in.TotalNetOutputBytes, int64(898252))
			eq(t, "last save", in.RDBLastSaveTime, int64(1795628226))
			eq(t, "bgsave", in.RDBBgsaveInProgress, false)
			eq(t, "bgsave status", in.RDBLastBgsaveStatus, "ok")
			eq(t, "aof", in.AOFEnabled, false)
			eq(t, "aof write", in.AOFLastWriteStatus, "ok")
			eq(t, "slaves", in.ConnectedSlaves, int64(1))
			eq(t, "slave0", in.Slaves, []Slave{{IP: "127.0.77.2", Port: 6390, State: "online", Offset: 29512, Lag: 1}})
			eq(t, "slave addr", in.Slaves[0].Addr(), "127.0.77.2:6390")
			eq(t, "offset", in.MasterReplOffset, int64(29512))
			eq(t, "keyspace", in.Keyspace, keyspace)
			eq(t, "keys", in.Keys(), int64(702))
			eq(t, "expires", in.Expires(), int64(201))
			rate, ok := in.HitRate()
			eq(t, "hit rate", rate, 0.75)
			eq(t, "hit rate ok", ok, true)
			use, ok := in.MemoryUsage()
			eq(t, "usage", use, 1221424.0/67108864)
			eq(t, "usage ok", ok, true)
			eq(t, "raw", in.Raw["maxmemory_human"], "64.00M")
			eq(t, "has", in.Has("master_link_status"), false)
		}},
		{"info-replica.txt", func(t *testing.T, in Info) {
			eq(t, "role", in.Role, "slave")
			eq(t, "primary", in.IsPrimary(), false)
			eq(t, "master", in.MasterHost, "127.0.77.1")
			eq(t, "master port", in.MasterPort, int64(6390))
			eq(t, "link", in.MasterLinkStatus, "up")
			eq(t, "io ago", in.MasterLastIOSecondsAgo, int64(2))
			eq(t, "slave offset", in.SlaveReplOffset, int64(29512))
			eq(t, "slaves", len(in.Slaves), 0)
			eq(t, "keyspace", in.Keyspace, replicaKeyspace)
			_, ok := in.MemoryUsage()
			eq(t, "usage without maxmemory", ok, false)
			_, ok = in.HitRate()
			eq(t, "hit rate without lookups", ok, false)
		}},
		{"info-replica-link-down.txt", func(t *testing.T, in Info) {
			eq(t, "link", in.MasterLinkStatus, "down")
			eq(t, "io ago", in.MasterLastIOSecondsAgo, int64(-1))
			eq(t, "down since", in.MasterLinkDownSince, int64(2))
		}},
		{"info-standalone-empty.txt", func(t *testing.T, in Info) {
			eq(t, "role", in.Role, "master")
			eq(t, "keyspace", len(in.Keyspace), 0)
			eq(t, "keys", in.Keys(), int64(0))
			eq(t, "has hits", in.Has("keyspace_hits"), true)
		}},
		{"info-everything-primary.txt", func(t *testing.T, in Info) {
			eq(t, "cmds", in.TotalCommandsProcessed, int64(1131))
			eq(t, "cmdstat", in.Raw["cmdstat_info"], "calls=2,usec=141,usec_per_call=70.50,rejected_calls=0,failed_calls=0")
			eq(t, "keyspace", in.Keyspace, keyspace)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			tt.check(t, ParseInfo(readInfo(t, tt.file)))
		})
	}
}

func TestParseInfoOddInput(t *testing.T) {
	t.Parallel()
	for _, text := range []string{"", "\n\n", "# Server", "no colon here", "used_memory:abc\nslave0:garbage\ndb:keys=1\ndbx:keys=2", "role:master"} {
		in := ParseInfo(text)
		if in.UsedMemory != 0 || len(in.Keyspace) != 0 || in.Raw == nil {
			t.Fatalf("%q: %+v", text, in)
		}
	}
	in := ParseInfo("role:master\nslave0:ip=10.0.0.1,port=7000\nslave1:ip=10.0.0.2,port=7001,state=send_bulk,offset=5,lag=0")
	eq(t, "slaves", in.Slaves, []Slave{{IP: "10.0.0.1", Port: 7000}, {IP: "10.0.0.2", Port: 7001, State: "send_bulk", Offset: 5}})
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func BenchmarkParseInfo(b *testing.B) {
	text := readInfo(b, "info-primary-with-replica.txt")
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		ParseInfo(text)
	}
}
