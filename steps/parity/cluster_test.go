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
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/load"
	"github.com/cutover/cutover/steps/rdb"
	"github.com/cutover/cutover/steps/snapshot"
)

// Parity against a cluster target: counts per primary against the
// snapshot's keys in its slots and in total, the sample read across every
// primary; keys lost on one primary fail the row naming it.
func TestParityOfAClusterTarget(t *testing.T) {
	t.Parallel()
	src, _, path := copiedFile(t, 5000)
	dst := labtest.Cluster(t, 3, 0, labtest.WithPassword("dst-pw"))
	ctx := context.Background()
	node := func(a string) *redis.Client {
		return redis.NewClient(&redis.Options{Addr: a, Password: "dst-pw", Protocol: 2, DisableIdentity: true})
	}
	sum, err := snapshot.VerifyFile(path, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := load.LoadCluster(ctx, load.Cluster{Seed: dst.Primaries[0].Addr(), Client: node}, []string{path}, []*rdb.Summary{sum}, load.Options{}); err != nil {
		t.Fatal(err)
	}
	e := env(src, src, 600)
	e.Config.Target = runbook.Target{Endpoint: runbook.Endpoint{Kind: "cluster", URL: "redis://" + dst.Primaries[0].Addr(), Secret: runbook.Secret{Value: "dst-pw"}}}
	e.State.Facts[runbook.SnapshotFile] = path

	res, err := (&Executor{}).Run(ctx, e, func(runbook.Progress) {})
	if err != nil || !res.OK {
		t.Fatalf("parity: %+v, %v", res, err)
	}
	var shards int
	for _, ev := range res.Evidence {
		if strings.HasPrefix(ev.Name, "keys on ") && strings.Contains(ev.Name, "(slots ") {
			shards++
		}
		if ev.Name == "sampled keys per primary" {
			for _, p := range dst.Primaries {
				if !strings.Contains(ev.Value, p.Addr()+": ") || strings.Contains(ev.Value, p.Addr()+": 0") {
					t.Fatalf("the sample missed %s: %s", p.Addr(), ev.Value)
				}
			}
		}
	}
	if shards != 3 || res.Outputs["differences"] != "0" {
		t.Fatalf("want a row per primary and no differences: %+v", res)
	}

	lost := dst.Primaries[1]
	c := node(lost.Addr())
	defer c.Close()
	keys, _, err := c.Scan(ctx, 0, "", 200).Result()
	if err != nil || len(keys) < 50 {
		t.Fatalf("SCAN on %s: %v, %d keys", lost.Addr(), err, len(keys))
	}
	for _, k := range keys[:50] {
		c.Del(ctx, k)
	}
	res, err = (&Executor{}).Run(ctx, e, func(runbook.Progress) {})
	if err != nil || res.OK {
		t.Fatalf("parity with keys lost on %s passed: %+v, %v", lost.Addr(), res, err)
	}
	for _, ev := range res.Evidence {
		if strings.HasPrefix(ev.Name, "keys on ") && ev.OK != !strings.Contains(ev.Name, lost.Addr()) {
			t.Fatalf("row %+v: only %s lost keys", ev, lost.Addr())
		}
	}
}

// A cluster-mode source (3 shards, one file each) against a cluster
// target: the source's keys summed over its primaries, the sample drawn
// across its shards.
func TestParityOfClusterToCluster(t *testing.T) {
	t.Parallel()
	src := labtest.Cluster(t, 3, 0, labtest.WithPassword("src-pw"))
	ctx := context.Background()
	sc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: src.Addrs(), Password: "src-pw", Protocol: 2, DisableIdentity: true})
	defer sc.Close()
	if err := seed.Seed(ctx, sc, 3000, nil); err != nil {
		t.Fatal(err)
	}
	var files []string
	var sums []*rdb.Summary
	for _, p := range src.Primaries {
		path := filepath.Join(t.TempDir(), "shard.rdb")
		f, _ := os.Create(path)
		w := bufio.NewWriter(f)
		if _, err := replication.Replicate(ctx, p.Addr(), p.Password, w, nil); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		f.Close()
		sum, err := snapshot.VerifyFile(path, time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		files, sums = append(files, path), append(sums, sum)
	}
	dst := labtest.Cluster(t, 3, 0, labtest.WithPassword("dst-pw"))
	node := func(a string) *redis.Client {
		return redis.NewClient(&redis.Options{Addr: a, Password: "dst-pw", Protocol: 2, DisableIdentity: true})
	}
	if _, err := load.LoadCluster(ctx, load.Cluster{Seed: dst.Primaries[0].Addr(), Client: node}, files, sums, load.Options{}); err != nil {
		t.Fatal(err)
	}
	e := env(src.Primaries[0], src.Primaries[0], 500)
	e.Config.Target = runbook.Target{Endpoint: runbook.Endpoint{Kind: "cluster", URL: "redis://" + dst.Primaries[0].Addr(), Secret: runbook.Secret{Value: "dst-pw"}}}
	e.State.Facts[runbook.DownloadFiles] = strings.Join(files, ",")
	e.State.Facts[runbook.DiscoverClusterMode] = "enabled"
	// A known snapshot time makes the source's OBJECT IDLETIME be read too.
	e.State.Facts[runbook.DownloadTakenAt] = strconv.FormatInt(time.Now().Add(-time.Minute).UnixMilli(), 10)
	res, err := (&Executor{}).Run(ctx, e, func(runbook.Progress) {})
	if err != nil || !res.OK {
		t.Fatalf("parity: %+v, %v", res, err)
	}
	if res.Evidence[0].Value != "source 3000, target 3000, snapshot 3000" {
		t.Fatalf("counts %+v, want 3000 on each side", res.Evidence[0])
	}
	if n, _ := strconv.Atoi(res.Outputs["sampled"]); n < 400 || res.Outputs["differences"] != "0" {
		t.Fatalf("outputs %v", res.Outputs)
	}
}
