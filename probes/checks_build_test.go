package probes

import (
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/runbook"
)

func TestACL(t *testing.T) {
	t.Parallel()
	r := redisPW(t, "pw", "user app on >apppw ~* +@all", "user ro on >ropw ~* +@read")
	tgt := target(r.Addr(), "apppw")
	tgt.Username = "app"
	res := runCheck(t, "build.acl", envFor(labConfig(source(r.Addr(), "pw"), tgt), nil))
	wantResult(t, res, true, "default user is protected and app is enabled")
	if e := evidence(t, res, "default user"); !strings.Contains(e.Value, "on, 1 password(s)") {
		t.Fatalf("default user: %+v", e)
	}

	tgt.Username = ""
	tgt.Secret.Value = "pw"
	res = runCheck(t, "build.acl", envFor(labConfig(source(r.Addr(), "pw"), tgt), nil))
	wantResult(t, res, false, "target.username: not set")

	open := labtestRedis(t)
	tgt = target(open.Addr(), "x")
	res = runCheck(t, "build.acl", envFor(labConfig(source(open.Addr(), "x"), tgt), nil))
	wantResult(t, res, false, "default user: on, nopass")
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	none := redisPW(t, "pw")
	res := runCheck(t, "build.persistence", envFor(labConfig(source(none.Addr(), "pw"), target(none.Addr(), "pw")), nil))
	wantResult(t, res, false, "AOF off and no save rules")

	aof := redisPW(t, "pw", "appendonly yes", "save 900 1")
	res = runCheck(t, "build.persistence", envFor(labConfig(source(aof.Addr(), "pw"), target(aof.Addr(), "pw")), nil))
	wantResult(t, res, true, "AOF on, RDB save rules 900 1")
	if res.Outputs["appendonly"] != "true" {
		t.Fatalf("outputs %v", res.Outputs)
	}
}

func TestReplicationAndSentinel(t *testing.T) {
	t.Parallel()
	tp := labtest.Sentinel(t)
	cfg := sentinelConfig(tp)
	cfg.Target.Replicas = []string{"redis://" + tp.Replica.Addr()}
	res := runCheck(t, "build.replication", envFor(cfg, nil))
	wantResult(t, res, true, "1 replica(s) online")
	if e := evidence(t, res, "configured replica "+tp.Replica.Addr()); !strings.Contains(e.Value, "link up") {
		t.Fatalf("replica row: %+v", e)
	}

	res = runCheck(t, "build.sentinel", envFor(cfg, nil))
	wantResult(t, res, true, "3 sentinels; "+tp.Primary.Addr()+" is the primary")

	// target.url reaching the replica is not the primary the sentinels name.
	wrong := sentinelConfig(tp)
	wrong.Target.URL = "redis://" + tp.Replica.Addr()
	res = runCheck(t, "build.sentinel", envFor(wrong, nil))
	wantResult(t, res, false, "master name resolves to")

	alone := redisPW(t, "pw")
	res = runCheck(t, "build.replication", envFor(labConfig(source(alone.Addr(), "pw"), target(alone.Addr(), "pw")), nil))
	wantResult(t, res, false, "connected_slaves: 0 (want at least 1)")
}

func sentinelConfig(tp *labtest.Topology) *runbook.Config {
	tgt := target(tp.Primary.Addr(), tp.Password)
	tgt.Kind = "sentinel"
	cfg := labConfig(source(tp.Primary.Addr(), tp.Password), tgt)
	cfg.Target.Sentinel = runbook.Sentinel{Master: tp.Master, Addrs: tp.SentinelAddrs()}
	return cfg
}

func TestSentinelDeadQuorum(t *testing.T) {
	t.Parallel()
	tp := labtest.Sentinel(t)
	cfg := sentinelConfig(tp)
	tp.Sentinels[0].Stop()
	tp.Sentinels[1].Stop()
	last := tp.SentinelAddrs()[2]
	// The survivor reports NOQUORUM once it sees the others down.
	deadline := time.Now().Add(15 * time.Second)
	for {
		res := runCheck(t, "build.sentinel", envFor(cfg, nil))
		wantResult(t, res, false, "connection refused at "+tp.SentinelAddrs()[0])
		if e := evidence(t, res, "sentinel "+last+" CKQUORUM"); strings.HasPrefix(e.Value, "NOQUORUM") && !e.OK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the last sentinel never reported NOQUORUM: %+v", res.Evidence)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestMemory(t *testing.T) {
	t.Parallel()
	src := redisPW(t, "pw", "maxmemory-policy allkeys-lru")
	noLimit := redisPW(t, "pw")
	good := redisPW(t, "pw", "maxmemory 64mb", "maxmemory-policy allkeys-lru")

	res := runCheck(t, "build.memory", envFor(labConfig(source(src.Addr(), "pw"), target(noLimit.Addr(), "pw")), nil))
	wantResult(t, res, false, "maxmemory: 0 B (want set (> 0))")
	wantResult(t, res, false, "maxmemory-policy: noeviction (want allkeys-lru")

	res = runCheck(t, "build.memory", envFor(labConfig(source(src.Addr(), "pw"), target(good.Addr(), "pw")), nil))
	wantResult(t, res, true, "maxmemory 64.0 MB, policy allkeys-lru")

	// An ElastiCache source's policy comes from discover's fact.
	ec := labConfig(source(src.Addr(), "pw"), target(good.Addr(), "pw"))
	ec.Source.Kind = "elasticache"
	res = runCheck(t, "build.memory", envFor(ec, runbook.Facts{runbook.DiscoverMaxmemoryPolicy: "volatile-lru"}))
	wantResult(t, res, false, "maxmemory-policy: allkeys-lru (want volatile-lru (the parameter group's))")
	res = runCheck(t, "build.memory", envFor(ec, nil))
	wantResult(t, res, false, "run inventory.discover first")
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := redisPW(t, "pw")
	res := runCheck(t, "build.version", envFor(labConfig(source(r.Addr(), "pw"), target(r.Addr(), "pw")), nil))
	wantResult(t, res, true, "Redis 7.0.15 -> Redis 7.0.15: native")
	if res.Outputs["source_rdb"] != "10" || res.Outputs["native"] != "true" {
		t.Fatalf("outputs %v", res.Outputs)
	}
	// Source down: the version discover recorded stands in.
	down := labConfig(source(closedAddr(t), "pw"), target(r.Addr(), "pw"))
	res = runCheck(t, "build.version", envFor(down, runbook.Facts{runbook.DiscoverEngine: "valkey", runbook.DiscoverVersion: "9.0.0"}))
	wantResult(t, res, true, "Valkey 9.0.0 -> Redis 7.0.15: native-command fallback")
}

func TestRDBVersion(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		redis, valkey string
		want          int
	}{{"7.0.15", "", 10}, {"7.2.4", "", 11}, {"7.4.0", "", 12}, {"8.0.2", "", 12}, {"6.2.14", "", 9},
		{"7.2.4", "8.0.1", 11}, {"7.2.4", "9.0.0", 80}} {
		if got, ok := RDBVersion(tt.redis, tt.valkey); !ok || got != tt.want {
			t.Errorf("%s/%s: %d, want %d", tt.redis, tt.valkey, got, tt.want)
		}
	}
	if _, ok := RDBVersion("garbage", ""); ok {
		t.Error("garbage version read")
	}
	for _, tt := range []struct {
		src, tgt int
		want     bool
	}{{10, 10, true}, {11, 10, false}, {10, 12, true}, {11, 80, true}, {12, 80, false}, {80, 12, false}, {80, 80, true}} {
		if got := NativeLoad(tt.src, tt.tgt); got != tt.want {
			t.Errorf("NativeLoad(%d, %d) = %v", tt.src, tt.tgt, got)
		}
	}
}

func TestMonitoring(t *testing.T) {
	t.Parallel()
	tgt := redisPW(t, "pw")
	other := redisPW(t, "pw")
	cfg := labConfig(source("127.0.0.1:1", "x"), target(tgt.Addr(), "pw"))
	res := runCheck(t, "build.monitoring", envFor(cfg, nil))
	wantResult(t, res, false, "target.exporter_url is not set")

	// The real exporter on the target.
	e := labtest.Exporter(t, tgt)
	cfg.Target.ExporterURL = e.URL()
	res = runCheck(t, "build.monitoring", envFor(cfg, nil))
	wantResult(t, res, true, "watches the target primary")
	want := mustInfo(t, tgt.Addr(), "pw").RunID
	if ev := evidence(t, res, "run_id the exporter sees"); ev.Value != want {
		t.Fatalf("run_id row %+v, want %s", ev, want)
	}

	// An exporter that scrapes another server: the run_ids differ.
	wrong := labtest.Exporter(t, other)
	cfg.Target.ExporterURL = wrong.URL()
	res = runCheck(t, "build.monitoring", envFor(cfg, nil))
	wantResult(t, res, false, "the exporter watches another server: it sees run_id "+mustInfo(t, other.Addr(), "pw").RunID)
	wantContains(t, res.Summary, "has run_id "+want)

	// Its server goes away: the exporter still answers, with redis_up 0.
	other.Stop()
	res = runCheck(t, "build.monitoring", envFor(cfg, nil))
	wantResult(t, res, false, "reports redis_up 0")

	// The exporter itself is down.
	e.Stop()
	cfg.Target.ExporterURL = e.URL()
	res = runCheck(t, "build.monitoring", envFor(cfg, nil))
	wantResult(t, res, false, "the exporter at "+e.URL()+" does not answer")
	wantContains(t, res.Summary, "connection refused")
}

func TestReadMetrics(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, text, up, runID string
	}{
		{"exporter", "# HELP redis_up x\n# TYPE redis_up gauge\nredis_up 1\nredis_instance_info{os=\"Linux\",role=\"master\",run_id=\"abc\",tcp_port=\"6379\"} 1\n", "1", "abc"},
		{"escaped label", `redis_instance_info{os="a \"b\" \\ c",run_id="r2"} 1` + "\nredis_up 0\n", "0", "r2"},
		{"other metrics named alike", "redis_up_seconds 5\nredis_uptime 3\n", "", ""},
		{"broken labels", `redis_instance_info{run_id="x 1` + "\nredis_up 1\n", "1", ""},
		{"empty", "", "", ""},
	} {
		m, err := readMetrics(strings.NewReader(tt.text))
		if err != nil || m.up != tt.up || m.runID != tt.runID {
			t.Errorf("%s: %+v %v, want up %q run_id %q", tt.name, m, err, tt.up, tt.runID)
		}
	}
}
