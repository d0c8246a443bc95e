package parity

import (
	"context"
	"io"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/internal/replication"
	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/seed"
	"github.com/cutover/cutover/lab/zone"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/download"
	"github.com/cutover/cutover/steps/export"
	"github.com/cutover/cutover/steps/load"
	"github.com/cutover/cutover/steps/snapshot"
)

// The RDB path end to end through the runbook engine: an ElastiCache
// stand-in over a real source, a Sentinel target, snapshot -> export ->
// download -> load -> parity; then every live key of the source must be on
// the target with its type, value and TTL.
func TestRDBPathEndToEnd(t *testing.T) {
	labtest.AWSEnv(t)
	ctx := context.Background()

	src := labtest.Redis(t, labtest.WithPassword("src-Secret-e2e"))
	sc := client(src)
	defer sc.Close()
	if err := seed.Seed(ctx, sc, 20000, nil); err != nil {
		t.Fatal(err)
	}
	db2 := redis.NewClient(&redis.Options{Addr: src.Addr(), Password: src.Password, DB: 2})
	for i := range 30 {
		db2.Set(ctx, "db2:"+strconv.Itoa(i), i, time.Duration(i+1)*time.Hour)
	}
	db2.Close()
	tp := labtest.Sentinel(t)

	stub, err := awsstub.Start(awsstub.Config{ReplicationGroupID: "lab-cache", PrimaryEndpoint: src.Addr(),
		Snapshot: func(ctx context.Context, w io.Writer) error {
			_, err := replication.Replicate(ctx, src.Addr(), src.Password, w, nil)
			return err
		},
		Info:    func(ctx context.Context) (string, error) { return sc.Info(ctx).Result() },
		Zones:   zone.NewStore(),
		Buckets: map[string]string{"lab-backups": "us-east-1"}, GrantedBuckets: []string{"lab-backups"},
		SnapshotDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer stub.Close()

	dir := t.TempDir()
	cfg := &runbook.Config{Dir: dir, Journal: filepath.Join(dir, "cutover.journal"), Log: filepath.Join(dir, "cutover.log"),
		Source: runbook.Endpoint{Kind: "elasticache", URL: "redis://" + src.Addr(), ReplicationGroup: "lab-cache", Secret: runbook.Secret{Value: src.Password}},
		Target: runbook.Target{Endpoint: runbook.Endpoint{Kind: "sentinel", URL: "redis://" + tp.Primary.Addr(), Secret: runbook.Secret{Value: tp.Password}},
			Sentinel: runbook.Sentinel{Master: tp.Master, Addrs: tp.SentinelAddrs()}},
		AWS:        runbook.AWS{Region: "us-east-1", Endpoint: stub.URL()},
		S3:         runbook.S3{Bucket: "lab-backups"},
		Thresholds: runbook.Thresholds{ParityTolerance: 0.001, SampleKeys: 1000, TTLTolerance: runbook.Duration{Duration: 5 * time.Second}}}
	rb := runbook.New()
	execs := map[runbook.StepID]runbook.Executor{
		snapshot.StepID: &snapshot.Executor{Poll: 50 * time.Millisecond},
		export.StepID:   &export.Executor{Poll: 50 * time.Millisecond},
		download.StepID: &download.Executor{},
		load.StepID:     &load.Executor{},
		StepID:          &Executor{},
	}
	if err := rb.Attach(execs); err != nil {
		t.Fatal(err)
	}
	eng, _, err := runbook.Open(cfg, rb, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	record := func(ev runbook.Event) {
		ev.Operator = "alice"
		if _, err := eng.Record(ev); err != nil {
			t.Fatal(err)
		}
	}
	record(runbook.Event{Type: runbook.EvDecide, Step: "migrate.strategy", Choice: "rdb", Reason: "a cache: misses during the load are fine"})
	for _, id := range []runbook.StepID{"build.reachable", "build.version"} {
		record(runbook.Event{Type: runbook.EvSkip, Step: id, Reason: "checked by another package's tests"})
	}
	for _, id := range []runbook.StepID{snapshot.StepID, export.StepID, download.StepID, load.StepID, StepID} {
		env := eng.Env("alice", nil, t.Logf)
		p, err := eng.Plan(ctx, id, env)
		if err != nil {
			t.Fatalf("%s plan: %v", id, err)
		}
		res, err := eng.Run(ctx, id, runbook.Request{Operator: "alice", Second: "bob", Confirmed: p.Resource, Plan: &p}, t.Logf, func(runbook.Progress) {})
		if err != nil || !res.OK {
			t.Fatalf("%s: %+v, %v", id, res, err)
		}
		t.Logf("%s: %s", id, res.Summary)
	}

	// Every live key, compared in full (the sample covers each db).
	for _, db := range []int{0, 2} {
		s := redis.NewClient(&redis.Options{Addr: src.Addr(), Password: src.Password, DB: db})
		d := redis.NewClient(&redis.Options{Addr: tp.Primary.Addr(), Password: tp.Password, DB: db})
		n := s.DBSize(ctx).Val()
		keys, err := sample(ctx, s, int(n), n)
		if err != nil {
			t.Fatal(err)
		}
		var deep Deep
		if err := compareKeys(ctx, s, d, db, keys, time.Second, 0, &deep); err != nil {
			t.Fatal(err)
		}
		if deep.Sampled != int(n) || len(deep.Findings) > 0 || d.DBSize(ctx).Val() != n {
			t.Fatalf("db%d: %d of %d keys compared, target holds %d, differences %v", db, deep.Sampled, n, d.DBSize(ctx).Val(), deep.Findings)
		}
		s.Close()
		d.Close()
	}
	st := eng.State()
	if st.Facts[runbook.LoadKeys] != strconv.Itoa(20030) || st.Facts[runbook.DownloadFile] == "" {
		t.Fatalf("facts %v", st.Facts)
	}
}
