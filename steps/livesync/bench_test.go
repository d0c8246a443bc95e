package livesync

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/servers"
)

const benchKeys = 60_000

// restoreStream DUMPs every key of the source into a file of RESP
// "RESTORE key ttl payload REPLACE" commands: what redis-cli --pipe would
// be fed to do the copy by hand.
func restoreStream(b *testing.B, src *redis.Client, path string) {
	ctx := context.Background()
	f, err := os.Create(path)
	must(b, err)
	w := bufio.NewWriterSize(f, 1<<20)
	it := src.Scan(ctx, 0, "", 1000).Iterator()
	for it.Next(ctx) {
		k := it.Val()
		payload, err := src.Dump(ctx, k).Result()
		must(b, err)
		ttl := max(src.PTTL(ctx, k).Val().Milliseconds(), 0)
		args := []string{"RESTORE", k, strconv.FormatInt(ttl, 10), payload, "REPLACE"}
		fmt.Fprintf(w, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(w, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	must(b, it.Err())
	must(b, w.Flush())
	must(b, f.Close())
}

func pipeInto(b *testing.B, cli string, dst *servers.Redis, path string) {
	in, err := os.Open(path)
	must(b, err)
	defer in.Close()
	cmd := exec.Command(cli, "-h", dst.Host, "-p", strconv.Itoa(dst.Port), "-a", dst.Password, "--no-auth-warning", "--pipe")
	cmd.Stdin = in
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("redis-cli --pipe: %v\n%s", err, out)
	}
}

// BenchmarkFirstPassVsPipe copies the same keys into a fresh target with
// redis-cli --pipe (fed the RESTORE stream, built beforehand) and with the
// sync's first pass (which also subscribes and DUMPs on the source).
func BenchmarkFirstPassVsPipe(b *testing.B) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		b.Skip("redis-cli is not installed (apt-get install redis-tools): the comparison needs redis-cli --pipe")
	}
	src := labtest.Redis(b, labtest.WithPassword("src-pw"), labtest.WithConfig("notify-keyspace-events KEA"))
	seed(b, client(b, src, 0), "k", benchKeys)
	stream := filepath.Join(b.TempDir(), "restore.resp")
	restoreStream(b, client(b, src, 0), stream)
	var pipeT, syncT time.Duration
	for b.Loop() {
		dst := labtest.Redis(b, labtest.WithPassword("dst-pw"))
		start := time.Now()
		pipeInto(b, cli, dst, stream)
		pipeT += time.Since(start)
		if n := client(b, dst, 0).DBSize(context.Background()).Val(); n != benchKeys {
			b.Fatalf("redis-cli --pipe: %d keys on the target", n)
		}
		dst.Stop()

		p := &pair{src: src, dst: labtest.Redis(b, labtest.WithPassword("dst-pw")), logs: &logs{}}
		start = time.Now()
		s, err := Start(context.Background(), p.options())
		must(b, err)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		must(b, s.waitUntil(ctx, func() bool { return s.Stats().Passes > 0 }))
		cancel()
		syncT += time.Since(start)
		must(b, s.Stop())
		if n := client(b, p.dst, 0).DBSize(context.Background()).Val(); n != benchKeys {
			b.Fatalf("first pass: %d keys on the target", n)
		}
		p.dst.Stop()
	}
	n := float64(b.N)
	b.ReportMetric(benchKeys/(pipeT.Seconds()/n), "pipe-keys/s")
	b.ReportMetric(benchKeys/(syncT.Seconds()/n), "sync-keys/s")
	b.ReportMetric(syncT.Seconds()/pipeT.Seconds(), "sync/pipe")
}

// BenchmarkChangeStream writes distinct keys on the source as fast as four
// pipelining writers can for 3 s, and reports the notifications the sync
// applied per second and the highest lag it measured meanwhile.
func BenchmarkChangeStream(b *testing.B) {
	p := newPair(b)
	for b.Loop() {
		s := p.start(b, p.options())
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		var wg sync.WaitGroup
		for w := range 4 {
			c := client(b, p.src, 0)
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(w), 7))
				for ctx.Err() == nil {
					c.Pipelined(ctx, func(pp redis.Pipeliner) error {
						for range 100 {
							pp.Set(ctx, "s:"+strconv.Itoa(r.IntN(1_000_000)), r.Int(), 0)
						}
						return nil
					})
				}
			})
		}
		before := s.Stats().Events
		start := time.Now()
		var maxLag time.Duration
		for ctx.Err() == nil {
			time.Sleep(200 * time.Millisecond)
			if st := s.Stats(); st.LagKnown {
				maxLag = max(maxLag, st.Lag)
			}
		}
		wg.Wait()
		cancel()
		events := s.Stats().Events - before
		took := time.Since(start)
		dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
		drained := time.Now()
		must(b, s.Drain(dctx))
		dcancel()
		b.ReportMetric(float64(events)/took.Seconds(), "events/s")
		b.ReportMetric(maxLag.Seconds(), "max-lag-s")
		b.ReportMetric(time.Since(drained).Seconds(), "drain-s")
		must(b, s.Stop())
	}
}
