package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
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
	"github.com/cutover/cutover/steps/rdb"
)

const (
	benchKeys = 1_250_000
	benchTag  = "mixed-1250k-v2" // change when the generator changes
)

// benchDir caches the generated dataset between benchmark runs.
func benchDir(b *testing.B) string {
	dir := filepath.Join(os.TempDir(), "cutover-bench-load")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	return dir
}

// benchDataset returns an RDB of benchKeys mixed keys written by a real
// redis-server, and the equivalent RESTORE stream for redis-cli --pipe.
func benchDataset(b *testing.B) (rdbPath, pipePath string) {
	dir := benchDir(b)
	rdbPath = filepath.Join(dir, benchTag+".rdb")
	pipePath = filepath.Join(dir, benchTag+".restore")
	if _, err := os.Stat(pipePath); err == nil {
		return rdbPath, pipePath
	}
	b.Logf("generating %d keys with redis-server into %s (cached for later runs)", benchKeys, dir)
	src := labtest.Redis(b)
	if err := generate(func() redis.UniversalClient {
		return redis.NewClient(&redis.Options{Addr: src.Addr(), Protocol: 2, DisableIdentity: true})
	}); err != nil {
		b.Fatal(err)
	}
	writeFile(b, rdbPath, func(w io.Writer) error {
		_, err := replication.Replicate(context.Background(), src.Addr(), "", w, nil)
		return err
	})
	src.Stop()
	writeFile(b, pipePath, func(w io.Writer) error { return restoreStream(rdbPath, nil, w) })
	return rdbPath, pipePath
}

// writeFile fills path through a temporary file, so a cached file is whole.
func writeFile(b *testing.B, path string, fill func(w io.Writer) error) {
	f, err := os.Create(path + ".part")
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := fill(w); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	if err := os.Rename(path+".part", path); err != nil {
		b.Fatal(err)
	}
}

// generate writes the mix: 70% strings of 20-150 bytes, 10% hashes, 10%
// lists, 5% sets, 5% sorted sets; a third of the keys with a TTL.
func generate(newClient func() redis.UniversalClient) error {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	const workers = 4
	for w := range workers {
		wg.Go(func() {
			c := newClient()
			defer c.Close()
			rnd := rand.New(rand.NewPCG(uint64(w), 7))
			word := func(n int) string {
				b := make([]byte, n)
				for i := range b {
					b[i] = byte('a' + rnd.IntN(26))
				}
				return string(b)
			}
			p := c.Pipeline()
			for i := w; i < benchKeys; i += workers {
				id := strconv.Itoa(i)
				switch k := i % 20; {
				case k < 14:
					p.Set(ctx, "user:"+id+":profile", word(20+rnd.IntN(131)), 0)
				case k < 16:
					p.HSet(ctx, "cart:"+id, "sku", word(8), "qty", rnd.IntN(9), "note", word(12), "at", rnd.Int64())
				case k < 18:
					p.RPush(ctx, "feed:"+id, word(10), word(10), word(10), word(10), word(10))
				case k < 19:
					p.SAdd(ctx, "tags:"+id, word(6), word(6), word(6), word(6), word(6))
				default:
					p.ZAdd(ctx, "board:"+id, redis.Z{Score: 1, Member: word(8)}, redis.Z{Score: 2.5, Member: word(8)}, redis.Z{Score: 3, Member: word(8)})
				}
				if i%3 == 0 {
					p.Expire(ctx, keyOf(i), time.Duration(1+rnd.IntN(48))*time.Hour)
				}
				if p.Len() >= 2000 {
					if _, err := p.Exec(ctx); err != nil {
						errs <- err
						return
					}
				}
			}
			if _, err := p.Exec(ctx); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func keyOf(i int) string {
	id := strconv.Itoa(i)
	switch k := i % 20; {
	case k < 14:
		return "user:" + id + ":profile"
	case k < 16:
		return "cart:" + id
	case k < 18:
		return "feed:" + id
	case k < 19:
		return "tags:" + id
	}
	return "board:" + id
}

// restoreStream writes the RESTORE commands the loader would send to a
// Redis 7.0 target, for redis-cli --pipe: of every key, or of those keep
// takes.
func restoreStream(path string, keep func(key []byte) bool, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rd, err := rdb.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return err
	}
	var buf []byte
	for {
		e, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if e.Kind != rdb.KeyEntry || (keep != nil && !keep(e.Key)) {
			continue
		}
		buf = appendRestore(buf[:0], e, 10, false)
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
}

// BenchmarkLoadVsPipe loads the same dataset into a fresh empty server
// with redis-cli --pipe (fed the RESTORE stream) and with the loader
// (verifying pass included), side by side, and measures the loader's peak
// RSS as a child process.
func BenchmarkLoadVsPipe(b *testing.B) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		b.Skip("redis-cli is not installed (apt-get install redis-tools): the comparison needs redis-cli --pipe")
	}
	rdbPath, pipePath := benchDataset(b)
	sum := verified(b, rdbPath)
	want := sum.Keys - sum.Expired
	b.Logf("dataset: %d keys, %s", sum.Keys, fmtMB(sum.Bytes))
	var pipeT, loadT time.Duration
	var rss int64
	for b.Loop() {
		dst := labtest.Redis(b)
		start := time.Now()
		pipe(b, cli, dst, pipePath)
		pipeT += time.Since(start)
		checkKeys(b, dst, want)
		dst.Stop()

		dst = labtest.Redis(b)
		c := client(dst, 0)
		start = time.Now()
		if _, _, err := File(context.Background(), c, rdbPath, Options{}); err != nil {
			b.Fatal(err)
		}
		loadT += time.Since(start)
		c.Close()
		checkKeys(b, dst, want)
		dst.Stop()

		dst = labtest.Redis(b)
		rss = max(rss, childPeakRSS(b, dst, rdbPath))
		checkKeys(b, dst, want)
		dst.Stop()
	}
	n := float64(b.N)
	b.ReportMetric(pipeT.Seconds()/n, "pipe-s/op")
	b.ReportMetric(loadT.Seconds()/n, "loader-s/op")
	b.ReportMetric(loadT.Seconds()/pipeT.Seconds(), "loader/pipe")
	b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MB")
}

func pipe(b *testing.B, cli string, dst *servers.Redis, path string) {
	in, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	cmd := exec.Command(cli, "-h", dst.Host, "-p", strconv.Itoa(dst.Port), "--pipe")
	cmd.Stdin = in
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("redis-cli --pipe: %v\n%s", err, out)
	}
}

func checkKeys(b *testing.B, r *servers.Redis, want int64) {
	if n := dbsize(b, r, 0); n < want-want/1000 || n > want {
		b.Fatalf("the target holds %d keys, want %d", n, want)
	}
}

// childPeakRSS runs the loader in a child process (this test binary in
// child mode, see TestMain) and returns its peak RSS in bytes.
func childPeakRSS(b *testing.B, dst *servers.Redis, path string) int64 {
	return childRSS(b, path+"|"+dst.Addr())
}

// childRSS runs the child with the given job and returns the peak RSS it
// reports. The child's own VmHWM, not its rusage: Go starts children
// with vfork, and Linux carries the parent's peak into the child's
// ru_maxrss across exec.
func childRSS(b *testing.B, job string) int64 {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+job)
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("child load: %v\n%s", err, out)
	}
	kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(string(out), "peak-rss-kb:")), 10, 64)
	if err != nil {
		b.Fatalf("child load: no peak RSS in its output %q", out)
	}
	return kb << 10
}

func fmtMB(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
