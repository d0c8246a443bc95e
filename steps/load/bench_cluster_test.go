package load

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/internal/replication"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/rediscluster"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/load/slot"
	"github.com/cutover/cutover/steps/rdb"
	"github.com/cutover/cutover/steps/snapshot"
)

// benchShards returns the benchmark's dataset as a 3-shard source cluster
// exports it: one RDB per primary, written by real redis-servers.
func benchShards(b *testing.B) []string {
	dir := benchDir(b)
	var files []string
	for i := range 3 {
		files = append(files, filepath.Join(dir, fmt.Sprintf("%s-shard-%d.rdb", benchTag, i+1)))
	}
	if _, err := os.Stat(files[2]); err == nil {
		return files
	}
	b.Logf("generating %d keys in a 3-shard redis cluster into %s (cached for later runs)", benchKeys, dir)
	src := labtest.Cluster(b, 3, 0)
	if err := generate(func() redis.UniversalClient { return clusterClient(src) }); err != nil {
		b.Fatal(err)
	}
	for i, p := range src.Primaries {
		writeFile(b, files[i], func(w io.Writer) error {
			_, err := replication.Replicate(context.Background(), p.Addr(), "", w, nil)
			return err
		})
	}
	src.Stop()
	return files
}

// benchPipes returns, per primary of dst, the RESTORE stream of the keys
// in its slots, cached by slot range.
func benchPipes(b *testing.B, dst *servers.Cluster, files []string) []string {
	c := nodeClient(dst.Primaries[0].Addr(), "")
	owner, err := slot.Read(context.Background(), c)
	c.Close()
	if err != nil {
		b.Fatal(err)
	}
	var out []string
	for _, p := range dst.Primaries {
		mine := func(key []byte) bool { return owner[rediscluster.Of(key)] == p.Addr() }
		var serves string
		for s := range rediscluster.Count {
			if mine := owner[s] == p.Addr(); mine && (s == 0 || owner[s-1] != p.Addr()) {
				serves += "-" + strconv.Itoa(s)
			}
		}
		path := filepath.Join(benchDir(b), fmt.Sprintf("%s-slots%s.restore", benchTag, serves))
		if _, err := os.Stat(path); err != nil {
			writeFile(b, path, func(w io.Writer) error {
				for _, f := range files {
					if err := restoreStream(f, mine, w); err != nil {
						return err
					}
				}
				return nil
			})
		}
		out = append(out, path)
	}
	return out
}

// BenchmarkLoadClusterVsPipe loads the 3 shard files into a fresh
// 3-primary cluster (no replicas: the machine is shared) with one
// redis-cli --pipe per primary fed its slots' keys, and with LoadCluster
// (verifying passes included, as migrate.load runs them); then the
// standalone dataset into one server with File, for the bytes per second
// of each; and LoadCluster's peak RSS as a child process.
func BenchmarkLoadClusterVsPipe(b *testing.B) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		b.Skip("redis-cli is not installed (apt-get install redis-tools): the comparison needs redis-cli --pipe")
	}
	files := benchShards(b)
	standalone, _ := benchDataset(b)
	var fileBytes, want int64
	for _, f := range files {
		s := verified(b, f)
		fileBytes += s.Bytes
		want += s.Keys - s.Expired
	}
	oneSum := verified(b, standalone)
	b.Logf("dataset: %d keys in 3 shard files, %s (standalone file %s)", want, fmtMB(fileBytes), fmtMB(oneSum.Bytes))
	var pipeT, loadT, oneT time.Duration
	var rss int64
	for b.Loop() {
		dst := labtest.Cluster(b, 3, 0)
		pipes := benchPipes(b, dst, files)
		start := time.Now()
		var wg sync.WaitGroup
		for i, p := range dst.Primaries {
			wg.Go(func() { pipe(b, cli, p, pipes[i]) })
		}
		wg.Wait()
		pipeT += time.Since(start)
		clusterKeys(b, dst, want)
		dst.Stop()

		dst = labtest.Cluster(b, 3, 0)
		start = time.Now()
		if err := loadShards(dst.Primaries[0].Addr(), files); err != nil {
			b.Fatal(err)
		}
		loadT += time.Since(start)
		clusterKeys(b, dst, want)
		dst.Stop()

		one := labtest.Redis(b)
		c := client(one, 0)
		start = time.Now()
		if _, _, err := File(context.Background(), c, standalone, Options{}); err != nil {
			b.Fatal(err)
		}
		oneT += time.Since(start)
		c.Close()
		one.Stop()

		dst = labtest.Cluster(b, 3, 0)
		rss = max(rss, childClusterRSS(b, dst, files))
		clusterKeys(b, dst, want)
		dst.Stop()
	}
	n := float64(b.N)
	clusterRate := float64(fileBytes) * n / loadT.Seconds()
	oneRate := float64(oneSum.Bytes) * n / oneT.Seconds()
	b.ReportMetric(pipeT.Seconds()/n, "pipe-s/op")
	b.ReportMetric(loadT.Seconds()/n, "loader-s/op")
	b.ReportMetric(loadT.Seconds()/pipeT.Seconds(), "loader/pipe")
	b.ReportMetric(clusterRate/1e6, "cluster-MB/s")
	b.ReportMetric(oneRate/1e6, "standalone-MB/s")
	b.ReportMetric(clusterRate/oneRate, "cluster/standalone-bytes/s")
	b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MB")
}

// loadShards runs what migrate.load does for a cluster: verify each file,
// then LoadCluster.
func loadShards(seed string, files []string) error {
	var sums []*rdb.Summary
	for _, f := range files {
		s, err := snapshot.VerifyFile(f, time.Now(), nil)
		if err != nil {
			return err
		}
		sums = append(sums, s)
	}
	cl := Cluster{Seed: seed, Client: func(a string) *redis.Client {
		return probes.Client(runbook.Endpoint{Kind: "cluster", URL: "redis://" + a}, "load", probes.Timeout(10*time.Second))
	}}
	_, err := LoadCluster(context.Background(), cl, files, sums, Options{})
	return err
}

func clusterKeys(b *testing.B, cl *servers.Cluster, want int64) {
	var n int64
	for _, p := range cl.Primaries {
		n += dbsize(b, p, 0)
	}
	if n < want-want/1000 || n > want {
		b.Fatalf("the cluster holds %d keys, want %d", n, want)
	}
}

// childClusterRSS runs loadShards in a child process (see TestMain) and
// returns its peak RSS in bytes.
func childClusterRSS(b *testing.B, dst *servers.Cluster, files []string) int64 {
	return childRSS(b, "cluster|"+strings.Join(files, ",")+"|"+dst.Primaries[0].Addr())
}
