// Package seed fills a Redis database with a realistic mix of keys for the
// practice lab and for tests.
package seed

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
)

const (
	chunkKeys = 1000 // keys per pipeline
	workers   = 4    // concurrent pipelines (connections)
)

// job writes some keys in one pipeline.
type job struct {
	what  string
	keys  int
	write func(p redis.Pipeliner)
}

// Seed writes exactly n keys (into an empty database, DBSIZE is n after it):
// user:N:profile JSON strings, session:... and cache:page:... strings with
// TTLs of hours to days, a few otp:N strings with TTLs of 2-10 minutes
// (well under 0.1% of the keys), cart:N and user:N:settings hashes,
// user:N:feed lists, user:N:tags sets, leaderboard:game:N sorted sets,
// counter:views:N integers, and from n >= 100 the stream stream:orders with
// consumer groups and the big keys big:blob, big:list, big:hash and big:zset
// (5 MB and 100k elements at n = 200k). Existing keys of these names are
// replaced. The data is the same on every run.
//
// progress, if not nil, is called with the number of keys written so far,
// increasing, from one goroutine at a time.
func Seed(ctx context.Context, client redis.UniversalClient, n int, progress func(done int)) error {
	if n < 0 {
		return fmt.Errorf("seed: key count %d is negative: give 0 or more", n)
	}
	jobs := makeJobs(n)
	ch := make(chan job)
	var (
		mu       sync.Mutex
		done     int
		firstErr error
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range workers {
		wg.Go(func() {
			for j := range ch {
				p := client.Pipeline()
				j.write(p)
				_, err := p.Exec(ctx)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("seed: writing %s: %w", j.what, err)
					cancel()
				}
				if err == nil {
					done += j.keys
					if progress != nil {
						progress(done)
					}
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, j := range jobs {
		select {
		case ch <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("seed: stopped after %d of %d keys: %w", done, n, err)
	}
	return nil
}

// makeJobs puts the big keys first, so they do not trail at the end.
func makeJobs(n int) []job {
	var jobs []job
	if n >= minForBig {
		for i, w := range []func(redis.Pipeliner, *gen, int){writeStream, writeBigString, writeBigList, writeBigHash, writeBigZSet} {
			g := newGen(uint64(n), uint64(1000+i))
			jobs = append(jobs, job{what: bigKeys[i], keys: 1, write: func(p redis.Pipeliner) { w(p, g, n) }})
		}
	}
	for ki, k := range plan(n) {
		for from := 0; from < k.count; from += chunkKeys {
			to := min(from+chunkKeys, k.count)
			g := newGen(uint64(ki), uint64(from))
			jobs = append(jobs, job{
				what: fmt.Sprintf("%s keys %d-%d", k.name, from, to-1),
				keys: to - from,
				write: func(p redis.Pipeliner) {
					for i := from; i < to; i++ {
						k.write(p, g, i)
					}
				},
			})
		}
	}
	return jobs
}
