package load

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/rediscluster"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/livesync"
)

func TestSlot(t *testing.T) {
	t.Parallel()
	// CLUSTER KEYSLOT's answers (the CRC16 check value of "123456789" is 0x31C3).
	for key, want := range map[string]int{"123456789": 0x31c3, "foo": 12182, "myset": 560, "myset2": 7967,
		"{user1}:myset": 8106, "{user1}:myset2": 8106, "a{user1}b{x}": 8106} {
		if got := rediscluster.Of([]byte(key)); got != want {
			t.Errorf("rediscluster.Of(%q) = %d, want %d", key, got, want)
		}
	}
	if rediscluster.Of([]byte("{}user1")) == rediscluster.Of([]byte("user1")) {
		t.Error("an empty hash tag hashes the whole key")
	}
	got := bySlot([]string{"{u1}:a", "foo", "{u1}:b", "myset"})
	if want := [][]string{{"{u1}:a", "{u1}:b"}, {"foo"}, {"myset"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("bySlot = %q, want %q", got, want)
	}
}

// A cluster-enabled source with one node owning every slot, as serverless
// shows itself: a MULTI across slots is CROSSSLOT there, so the copy must
// group by slot to copy keys of many slots.
func TestCopyLiveFromSingleShardCluster(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	node := labtest.Redis(t, labtest.WithConfig("cluster-enabled yes"))
	src := redis.NewClient(&redis.Options{Addr: node.Addr(), Protocol: 2, DisableIdentity: true})
	defer src.Close()
	if err := src.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(src.ClusterInfo(ctx).Val(), "cluster_state:ok") {
		if time.Now().After(deadline) {
			t.Fatal("the one-node cluster never reached cluster_state:ok")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var keys []string
	for i := range 300 {
		k := fmt.Sprintf("k%d", i)
		if i%3 == 0 {
			k = fmt.Sprintf("{user%d}:k%d", i%7, i)
		}
		keys = append(keys, k)
		if err := src.Set(ctx, k, i, time.Duration(i+60)*time.Second).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := src.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Dump(ctx, "k1"); p.Dump(ctx, "k2"); return nil }); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("a MULTI across slots: want CROSSSLOT, got %v", err)
	}
	tgt := labtest.Redis(t)
	dst := redis.NewClient(&redis.Options{Addr: tgt.Addr(), Protocol: 2, DisableIdentity: true})
	defer dst.Close()
	var seen []int64
	n, err := copyLive(ctx, src, dst, 4, func(done int64) { seen = append(seen, done) })
	if err != nil || n.Restored != 300 || seen[len(seen)-1] != 300 {
		t.Fatalf("copied %+v, progress %v, %v", n, seen, err)
	}
	var c livesync.Compared
	if err := livesync.Compare(ctx, src, dst, 0, keys, time.Second, &c); err != nil || c.Diffs != 0 {
		t.Fatalf("compare: %+v, %v", c, err)
	}
}

// The serverless lab's source (TLS, no CONFIG, CLIENT LIST refused) with
// migrate.export skipped: the load copies it live, every key with its TTL,
// and sends it nothing serverless refuses or lacks.
func TestLoadCopiesServerlessWhenExportSkipped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{Dir: t.TempDir(), Keys: 1000, Serverless: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	l.App.Close() // the copy is not of one moment: compare a quiet source
	cfg, err := runbook.LoadConfig(l.ConfigPath, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	src := probes.Client(cfg.Source, "test", probes.ConfigDir(cfg.Dir))
	defer src.Close()
	for i := range 40 { // keys sharing a slot, one MULTI for several
		k := fmt.Sprintf("{tenant%d}:session:%d", i%4, i)
		if err := src.HSet(ctx, k, "user", i).Err(); err != nil {
			t.Fatal(err)
		}
		src.PExpire(ctx, k, time.Duration(i+1)*time.Minute)
	}
	admin := redis.NewClient(&redis.Options{Addr: l.Source.Addr(), Password: l.Source.Password, Protocol: 2, DisableIdentity: true})
	defer admin.Close()
	errorsBefore := admin.Info(ctx, "errorstats").Val()

	st := runbook.NewState(runbook.New(), cfg.Source.Kind, cfg.Target.Kind)
	st.Steps[runbook.MigrateExport] = runbook.StepState{Status: runbook.Skipped, Reason: "no bucket in us-east-1"}
	env := &runbook.Env{Config: cfg, State: &st, Operator: "alice", Log: t.Logf}
	e := &Executor{}
	p, err := e.Plan(ctx, env)
	if err != nil || p.Resource != l.Target.Addr() || !strings.Contains(p.Summary, "no bucket in us-east-1") || !strings.Contains(strings.Join(p.Calls, "\n"), "SCAN cursor COUNT 1000") {
		t.Fatalf("plan %+v, %v", p, err)
	}
	res, err := e.Run(ctx, env, func(runbook.Progress) {})
	want := src.DBSize(ctx).Val()
	if err != nil || !res.OK || res.Outputs["method"] != "scan" || res.Outputs["keys"] != fmt.Sprint(want) {
		t.Fatalf("run (source holds %d keys): %+v, %v", want, res, err)
	}

	var keys []string
	iter := src.Scan(ctx, 0, "", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	dst := probes.Client(cfg.Target.Endpoint, "test", probes.Addr(l.Target.Addr()), probes.ConfigDir(cfg.Dir))
	defer dst.Close()
	var c livesync.Compared
	if err := livesync.Compare(ctx, src, dst, 0, keys, 2*time.Second, &c); err != nil || c.Keys != len(keys) || c.Diffs != 0 {
		t.Fatalf("%d source keys compared: %+v, %v", len(keys), c, err)
	}
	ttl := func(c *redis.Client) string { return strings.Split(c.Info(ctx, "keyspace").Val(), ",avg_ttl")[0] }
	if ttl(admin) != ttl(dst) || !strings.Contains(ttl(dst), "expires=") {
		t.Fatalf("keyspace: source %q, target %q", ttl(admin), ttl(dst))
	}
	stats := admin.Info(ctx, "commandstats").Val()
	for _, cmd := range []string{"cmdstat_select:", "cmdstat_keys:", "cmdstat_client|list:", "cmdstat_config"} {
		if strings.Contains(stats, cmd) {
			t.Errorf("the source was sent %s", cmd)
		}
	}
	if after := admin.Info(ctx, "errorstats").Val(); after != errorsBefore {
		t.Errorf("the source refused commands during the copy:\n%s\nbefore:\n%s", after, errorsBefore)
	}

	if v, err := e.Verify(ctx, env); err != nil || !v.OK {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	if _, err := e.Run(ctx, env, func(runbook.Progress) {}); err == nil || !strings.Contains(err.Error(), "already holds keys") {
		t.Fatalf("a second copy into the now full target: want a refusal, got %v", err)
	}
	env.Options = map[string]string{"method": "restart"}
	if _, err := e.Plan(ctx, env); err == nil || !strings.Contains(err.Error(), "method=restore") {
		t.Fatalf("method=restart: %v", err)
	}
}
