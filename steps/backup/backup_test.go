package backup

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/lab/zone"
	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

const password = "backup-target-pw"

// fixture is a seeded standalone target and the AWS stand-in's S3.
type fixture struct {
	target *servers.Redis
	aws    *awsstub.Server
	cfg    *runbook.Config
	state  runbook.State
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	labtest.AWSEnv(t)
	f := &fixture{target: labtest.Redis(t, labtest.WithPassword(password))}
	var err error
	f.aws, err = awsstub.Start(awsstub.Config{
		ReplicationGroupID: "lab-cache", PrimaryEndpoint: f.target.Addr(), Zones: zone.NewStore(),
		Buckets:  map[string]string{"lab-backups": "us-east-1"},
		Snapshot: func(context.Context, io.Writer) error { return errors.New("not used") },
		Info:     func(context.Context) (string, error) { return "", nil },
	})
	must(t, err)
	t.Cleanup(func() { f.aws.Close() })
	f.cfg = &runbook.Config{
		Journal:    filepath.Join(t.TempDir(), "cutover.journal"),
		Target:     runbook.Target{Endpoint: runbook.Endpoint{Kind: "standalone", URL: "redis://" + f.target.Addr(), Secret: runbook.Secret{Env: "TGT", Value: password}}},
		AWS:        runbook.AWS{Region: "us-east-1", Endpoint: f.aws.URL()},
		S3:         runbook.S3{Bucket: "lab-backups", Prefix: "cutover/"},
		Thresholds: runbook.Thresholds{ParityTolerance: 0.001},
	}
	f.state = runbook.NewState(runbook.New(), "redis", "standalone")
	return f
}

// seed writes n keys into db 0 and m expiring keys into db 3; in db 0 also
// 20 MB that does not compress, so the upload takes two parts.
func (f *fixture) seed(t *testing.T, n, m int) {
	t.Helper()
	ctx := context.Background()
	for db, count := range map[int]int{0: n, 3: m} {
		c := redis.NewClient(&redis.Options{Addr: f.target.Addr(), Password: password, DB: db, Protocol: 2})
		p := c.Pipeline()
		for i := range count {
			if db == 3 {
				p.Set(ctx, fmt.Sprintf("session:%d", i), strings.Repeat("s", 100), time.Hour)
			} else {
				p.Set(ctx, fmt.Sprintf("user:%d:profile", i), strings.Repeat("v", 200), 0)
			}
		}
		if db == 0 {
			for i := range 20 {
				p.Set(ctx, fmt.Sprintf("blob:%d", i), rand.Text()+string(randBytes(1<<20)), 0)
			}
		}
		_, err := p.Exec(ctx)
		must(t, err)
		c.Close()
	}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func (f *fixture) env() *runbook.Env {
	st := f.state
	return &runbook.Env{Config: f.cfg, State: &st, Operator: "alice", Log: func(string, ...any) {}}
}

func (f *fixture) run(t *testing.T) (runbook.Result, []runbook.Progress, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	var progress []runbook.Progress
	res, err := (&Backup{}).Run(ctx, f.env(), func(p runbook.Progress) { progress = append(progress, p) })
	return res, progress, err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// scratchLeft lists redis-server processes still working in a backup dir.
func scratchLeft() []string {
	var left []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cwd")
	for _, p := range procs {
		if cwd, err := os.Readlink(p); err == nil && strings.Contains(cwd, "cutover-backup-") {
			left = append(left, p+" -> "+cwd)
		}
	}
	return left
}

func TestBackupRestoresEndToEnd(t *testing.T) {
	f := newFixture(t)
	f.seed(t, 5000, 300)
	res, progress, err := f.run(t)
	if err != nil || !res.OK {
		t.Fatalf("run: %v %+v", err, res)
	}
	t.Logf("%s", res.Summary)
	if res.Outputs["restored_keys"] != "5320" || res.Outputs["target_keys"] != "5320" {
		t.Fatalf("outputs %v: want 5320 keys restored and on the target", res.Outputs)
	}
	if !strings.HasPrefix(res.Outputs["key"], "cutover/verify-backup-") {
		t.Fatalf("key %q", res.Outputs["key"])
	}
	// The object in the bucket is the RDB.
	ac, err := probes.AWSConfig(t.Context(), f.cfg.AWS)
	must(t, err)
	obj, err := probes.S3Client(ac, f.cfg.AWS).GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("lab-backups"), Key: aws.String(res.Outputs["key"])})
	must(t, err)
	body, err := io.ReadAll(obj.Body)
	must(t, err)
	if len(body) < 20<<20 || !strings.HasPrefix(string(body), "REDIS") || strconv.Itoa(len(body)) != res.Outputs["bytes"] {
		t.Fatalf("object: %d bytes starting %q; outputs say %s", len(body), body[:min(9, len(body))], res.Outputs["bytes"])
	}
	var fetched, uploaded bool
	for _, p := range progress {
		fetched = fetched || strings.HasPrefix(p.Message, "fetching the RDB")
		uploaded = uploaded || strings.HasPrefix(p.Message, "uploading to s3://lab-backups/")
	}
	if !fetched || !uploaded {
		t.Fatalf("progress lacks the fetch or the upload: %+v", progress[len(progress)-1])
	}
	if left := scratchLeft(); len(left) > 0 {
		t.Fatalf("scratch servers left running: %v", left)
	}
	if entries, _ := os.ReadDir(filepath.Dir(f.cfg.Journal)); len(entries) != 0 {
		t.Fatalf("temporary files left beside the journal: %v", entries)
	}
	// Verify finds the object as recorded.
	f.state.Facts.Record(runbook.VerifyBackup, res.Outputs)
	if v, err := (&Backup{}).Verify(t.Context(), f.env()); err != nil || !v.OK {
		t.Fatalf("verify: %v %+v", err, v)
	}
}

func TestBackupWithoutRedisServerOnPath(t *testing.T) {
	f := newFixture(t)
	f.seed(t, 10, 0)
	t.Setenv("PATH", t.TempDir())
	_, _, err := f.run(t)
	if err == nil || !strings.Contains(err.Error(), "redis-server is not on PATH") {
		t.Fatalf("err %v", err)
	}
}

func TestBackupMissingBucket(t *testing.T) {
	f := newFixture(t)
	f.cfg.S3.Bucket = "no-such-bucket"
	_, _, err := f.run(t)
	if err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err %q: want one line naming the bucket", err)
	}
	t.Log(err)
	f.cfg.S3.Bucket = ""
	if _, err := (&Backup{}).Plan(t.Context(), f.env()); err == nil || !strings.Contains(err.Error(), "s3.bucket is not set") {
		t.Fatalf("plan without a bucket: %v", err)
	}
}

func TestCompareTolerance(t *testing.T) {
	ev, ok := compare(map[int]int64{0: 10000, 2: 5}, map[int]int64{0: 10009, 2: 5}, map[int]int64{0: 10009, 2: 5}, 0.001)
	if !ok || len(ev) != 2 || ev[0].Name != "db0 keys" || ev[1].Name != "db2 keys" {
		t.Fatalf("within tolerance: %v %+v", ok, ev)
	}
	if _, ok := compare(map[int]int64{0: 10000}, map[int]int64{0: 10011}, map[int]int64{0: 10011}, 0.001); ok {
		t.Fatal("11 of 10011 keys missing passed a 0.1% tolerance")
	}
	if ev, ok := compare(map[int]int64{0: 10}, map[int]int64{0: 10, 1: 1}, map[int]int64{0: 10, 1: 1}, 0.001); ok || ev[1].OK {
		t.Fatalf("a db missing from the restore passed: %+v", ev)
	}
	// Written to while the save ran: the restore lies between the counts.
	if ev, ok := compare(map[int]int64{0: 1149}, map[int]int64{0: 1147}, map[int]int64{0: 1151}, 0.001); !ok {
		t.Fatalf("a restore between the counts at the save and now failed: %+v", ev)
	}
	if _, ok := compare(map[int]int64{0: 1100}, map[int]int64{0: 1147}, map[int]int64{0: 1151}, 0.001); ok {
		t.Fatal("a restore short of both counts passed")
	}
}

// A cluster target is backed up primary by primary: one object each,
// each restored and compared with its primary.
func TestBackupOfAClusterTarget(t *testing.T) {
	f := newFixture(t)
	c := labtest.Cluster(t, 3, 0, labtest.WithPassword(password))
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), Password: password})
	defer cc.Close()
	for i := range 600 {
		must(t, cc.Set(context.Background(), fmt.Sprint("k", i), i, 0).Err())
	}
	f.cfg.Target = runbook.Target{Endpoint: runbook.Endpoint{Kind: "cluster", URL: "redis://" + c.Primaries[0].Addr(), Secret: runbook.Secret{Env: "TGT", Value: password}}}
	plan, err := (&Backup{}).Plan(t.Context(), f.env())
	must(t, err)
	if !strings.Contains(plan.Summary, "each of the cluster's 3 primaries") {
		t.Errorf("plan: %s", plan.Summary)
	}
	res, _, err := f.run(t)
	if err != nil || !res.OK {
		t.Fatalf("run: %v %+v", err, res)
	}
	keys := strings.Split(res.Outputs["key"], ",")
	if len(keys) != 3 || !strings.HasSuffix(keys[0], "-0001.rdb") || !strings.HasSuffix(keys[2], "-0003.rdb") {
		t.Fatalf("keys %q", keys)
	}
	if res.Outputs["restored_keys"] != "600" || res.Outputs["target_keys"] != "600" {
		t.Fatalf("outputs %v", res.Outputs)
	}
	f.state.Facts.Record(runbook.VerifyBackup, res.Outputs)
	if v, err := (&Backup{}).Verify(t.Context(), f.env()); err != nil || !v.OK || len(v.Evidence) != 3 {
		t.Fatalf("verify: %v %+v", err, v)
	}
}
