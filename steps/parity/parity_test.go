package parity

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/internal/replication"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/seed"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/load"
)

func client(r *servers.Redis) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: r.Addr(), Password: r.Password, Protocol: 2, DisableIdentity: true})
}

// copied starts a seeded source and a target loaded from its snapshot.
func copied(t *testing.T, n int) (src, dst *servers.Redis) {
	src, dst, _ = copiedFile(t, n)
	return src, dst
}

func copiedFile(t *testing.T, n int) (src, dst *servers.Redis, path string) {
	t.Helper()
	src = labtest.Redis(t, labtest.WithPassword("src-pw"))
	dst = labtest.Redis(t, labtest.WithPassword("dst-pw"))
	ctx := context.Background()
	s := client(src)
	defer s.Close()
	if err := seed.Seed(ctx, s, n, nil); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "s.rdb")
	f, _ := os.Create(path)
	w := bufio.NewWriter(f)
	if _, err := replication.Replicate(ctx, src.Addr(), src.Password, w, nil); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	f.Close()
	d := client(dst)
	defer d.Close()
	if _, _, err := load.File(ctx, d, path, load.Options{}); err != nil {
		t.Fatal(err)
	}
	return src, dst, path
}

func env(src, dst *servers.Redis, sample int) *runbook.Env {
	cfg := &runbook.Config{
		Source:     runbook.Endpoint{Kind: "redis", URL: "redis://" + src.Addr(), Secret: runbook.Secret{Value: src.Password}},
		Target:     runbook.Target{Endpoint: runbook.Endpoint{Kind: "standalone", URL: "redis://" + dst.Addr(), Secret: runbook.Secret{Value: dst.Password}}},
		Thresholds: runbook.Thresholds{ParityTolerance: 0.001, SampleKeys: sample, TTLTolerance: runbook.Duration{Duration: 5 * time.Second}}}
	st := runbook.NewState(runbook.New(), "redis", "standalone")
	return &runbook.Env{Config: cfg, State: &st, Operator: "alice"}
}

func TestParityOfAFaithfulCopy(t *testing.T) {
	t.Parallel()
	src, dst := copied(t, 5000)
	res, err := (&Executor{}).Run(context.Background(), env(src, dst, 1000), func(runbook.Progress) {})
	if err != nil || !res.OK {
		t.Fatalf("parity: %+v, %v", res, err)
	}
	if n, _ := strconv.Atoi(res.Outputs["sampled"]); n < 900 || res.Outputs["differences"] != "0" {
		t.Fatalf("outputs %v", res.Outputs)
	}
}

// Every kind of difference is found and named, big keys included.
func TestCompareFindsDifferences(t *testing.T) {
	t.Parallel()
	src, dst := copied(t, 20000) // big keys of 10k elements
	ctx := context.Background()
	d := client(dst)
	defer d.Close()
	s := client(src)
	defer s.Close()
	d.Set(ctx, seed.ProfileKey(1), "changed", 0)
	d.Del(ctx, seed.ProfileKey(2))
	d.PExpire(ctx, seed.ProfileKey(3), time.Hour)
	d.LSet(ctx, seed.BigListKey, -1, "changed")
	// Every score doubled: a sample of a big key must notice.
	d.ZUnionStore(ctx, seed.BigZSetKey, &redis.ZStore{Keys: []string{seed.BigZSetKey}, Weights: []float64{2}})
	d.XAdd(ctx, &redis.XAddArgs{Stream: seed.StreamKey, Values: []string{"extra", "1"}})

	keys := []string{seed.ProfileKey(1), seed.ProfileKey(2), seed.ProfileKey(3), seed.ProfileKey(4),
		seed.BigListKey, seed.BigZSetKey, seed.BigHashKey, seed.BigStringKey, seed.StreamKey}
	var deep Deep
	if err := compareKeys(ctx, s, d, 0, keys, 5*time.Second, 0, &deep); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		seed.ProfileKey(1): "string size",
		seed.ProfileKey(2): "missing on the target",
		seed.ProfileKey(3): "TTL none on the source",
		seed.BigListKey:    "list elements from index",
		seed.BigZSetKey:    "has score",
		seed.StreamKey:     "stream size",
	}
	got := map[string]string{}
	for _, f := range deep.Findings {
		got[f.Key] = f.Reason
	}
	for k, w := range want {
		if !strings.Contains(got[k], w) {
			t.Errorf("%s: reason %q, want it to say %q", k, got[k], w)
		}
	}
	if len(deep.Findings) != len(want) || deep.Same != 3 || deep.Big < 3 || deep.Lost() != len(want) {
		t.Fatalf("findings %v, same %d, big %d", deep.Findings, deep.Same, deep.Big)
	}

	// Every key compared (the sample covers the db), 1 in 10000 allowed:
	// the count passes, the deep compare does not.
	e := env(src, dst, 30000)
	e.Config.Thresholds.ParityTolerance = 0.0001
	res, err := (&Executor{}).Run(ctx, e, func(runbook.Progress) {})
	if err != nil || res.OK || !strings.Contains(res.Summary, "6 of 20000 sampled keys differ (2 allowed)") {
		t.Fatalf("parity of a damaged copy passed: %+v, %v", res, err)
	}
}

// A key used on the source since the snapshot is drift, not a loss.
func TestCompareTellsDrift(t *testing.T) {
	t.Parallel()
	src, dst := copied(t, 500)
	ctx := context.Background()
	time.Sleep(2100 * time.Millisecond) // idle times of the copied keys pass 2s
	taken := time.Now()
	s, d := client(src), client(dst)
	defer s.Close()
	defer d.Close()
	s.Set(ctx, seed.ProfileKey(5), "written after the snapshot", 0)
	d.Set(ctx, seed.ProfileKey(6), "damaged on the target", 0)
	time.Sleep(1500 * time.Millisecond)
	var deep Deep
	if err := compareKeys(ctx, s, d, 0, []string{seed.ProfileKey(5), seed.ProfileKey(6)}, time.Second, time.Since(taken), &deep); err != nil {
		t.Fatal(err)
	}
	if len(deep.Findings) != 2 || !deep.Findings[0].Drift || deep.Findings[1].Drift || deep.Lost() != 1 {
		t.Fatalf("findings %+v", deep.Findings)
	}
}

func TestCountsOutsideTolerance(t *testing.T) {
	t.Parallel()
	src := labtest.Redis(t)
	dst := labtest.Redis(t)
	ctx := context.Background()
	s := client(src)
	defer s.Close()
	for i := range 100 {
		s.Set(ctx, "k"+strconv.Itoa(i), i, 0)
	}
	d := client(dst)
	defer d.Close()
	for i := range 99 {
		d.Set(ctx, "k"+strconv.Itoa(i), i, 0)
	}
	res, err := (&Executor{}).Run(ctx, env(src, dst, 50), func(runbook.Progress) {})
	if err != nil || res.OK || !strings.Contains(res.Summary, "db0 keys is source 100, target 99") {
		t.Fatalf("a missing key passed the count check: %+v, %v", res, err)
	}
}

// With the snapshot file at hand the target is held to the snapshot; what
// the source gained since is a warning, not a failure.
func TestCountsAgainstTheSnapshot(t *testing.T) {
	t.Parallel()
	src, dst, path := copiedFile(t, 3000)
	ctx := context.Background()
	s, d := client(src), client(dst)
	defer s.Close()
	defer d.Close()
	for i := range 200 {
		s.Set(ctx, "new:"+strconv.Itoa(i), i, 0)
	}
	e := env(src, dst, 300)
	e.State.Facts[runbook.SnapshotFile] = path
	e.State.Facts[runbook.SnapshotTakenAt] = strconv.FormatInt(time.Now().Add(-time.Minute).UnixMilli(), 10)
	res, err := (&Executor{}).Run(ctx, e, func(runbook.Progress) {})
	if err != nil || !res.OK || !strings.Contains(strings.Join(res.Warnings, "\n"), "source holds +200 keys") {
		t.Fatalf("a source that moved on: %+v, %v", res, err)
	}
	d.Del(ctx, seed.ProfileKey(1), seed.ProfileKey(2), seed.ProfileKey(3), seed.ProfileKey(4))
	res, err = (&Executor{}).Run(ctx, e, func(runbook.Progress) {})
	if err != nil || res.OK || !strings.Contains(res.Summary, "snapshot 3000") {
		t.Fatalf("a target missing snapshot keys passed: %+v, %v", res, err)
	}
}
