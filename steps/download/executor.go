// Package download fetches the exported .rdb objects with concurrent
// ranged GETs, checks them against S3's ETag or checksum and their own
// CRC64, and summarises their contents.
package download

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/rdb"
	"github.com/cutover/cutover/steps/snapshot"
)

// StepID is the runbook step this package carries out.
const StepID = runbook.MigrateDownload

const callTimeout = 30 * time.Second

// Executor is migrate.download.
type Executor struct{}

// Executors returns this package's executors by step ID.
func Executors() map[runbook.StepID]runbook.Executor {
	return map[runbook.StepID]runbook.Executor{StepID: &Executor{}}
}

// objects are the exported objects, from migrate.export's facts.
func objects(env *runbook.Env) (bucket string, keys []string, err error) {
	bucket, list := env.Fact(runbook.ExportBucket), env.Fact(runbook.ExportKeys)
	if bucket == "" || list == "" {
		return "", nil, errors.New("no exported objects are recorded: run migrate.export first")
	}
	return bucket, strings.Split(list, ","), nil
}

// localPath is where an object is downloaded.
func localPath(cfg *runbook.Config, key string) string {
	return filepath.Join(snapshot.Dir(cfg), path.Base(key))
}

// Plan lists the reads and checks.
func (e *Executor) Plan(ctx context.Context, env *runbook.Env) (runbook.Plan, error) {
	bucket, keys, err := objects(env)
	if err != nil {
		return runbook.Plan{}, err
	}
	var calls []string
	for _, k := range keys {
		calls = append(calls,
			fmt.Sprintf("s3:HeadObject s3://%s/%s (size, ETag, checksum)", bucket, k),
			fmt.Sprintf("s3:GetObject s3://%s/%s in %d MB ranges, %d at a time, into %s (%d objects at once)", bucket, k, partSize>>20, concurrency, localPath(env.Config, k), parallelFiles),
			"read the file: MD5 against a single-part ETag, S3's full-object checksum when stored, RDB structure and CRC64; then the summary")
	}
	return runbook.Plan{Summary: fmt.Sprintf("Download %d object(s) from s3://%s into %s", len(keys), bucket, snapshot.Dir(env.Config)),
		Calls: calls}, nil
}

// Run downloads and checks every object, files concurrently (at most
// parallelFiles at a time, each in concurrent ranges); an object already
// downloaded and intact is not fetched again.
func (e *Executor) Run(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	bucket, keys, err := objects(env)
	if err != nil {
		return runbook.Result{}, err
	}
	api, err := probes.NewS3(ctx, env.Config.AWS)
	if err != nil {
		return runbook.Result{}, err
	}
	if err := os.MkdirAll(snapshot.Dir(env.Config), 0o700); err != nil {
		return runbook.Result{}, fmt.Errorf("cannot create the download directory: %w", err)
	}
	objs := make([]object, len(keys))
	for i, k := range keys {
		if objs[i], err = head(ctx, api, bucket, k); err != nil {
			return runbook.Result{}, err
		}
	}
	prog := newProgress(objs, report)
	var logMu sync.Mutex
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		env.Logf(format, args...)
	}
	got := make([]downloaded, len(objs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelFiles)
	for i, o := range objs {
		g.Go(func() (err error) {
			got[i], err = one(gctx, api, o, localPath(env.Config, o.key), prog.fetch(i), prog.verify(i), logf)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return runbook.Result{}, err
	}
	return result(got), nil
}

// parallelFiles bounds the objects downloaded at once (each with
// concurrency ranged GETs).
const parallelFiles = 4

// downloaded is one object, checked, in its local file.
type downloaded struct {
	path string
	size int64
	sum  *rdb.Summary
	ev   []runbook.Evidence
}

// one downloads (or reuses) one object into dest and checks it.
func one(ctx context.Context, api *s3.Client, o object, dest string, fetched, verified func(runbook.Progress), logf func(string, ...any)) (downloaded, error) {
	start := time.Now()
	if sum, ev := reuse(dest, o, verified); sum != nil {
		logf("%s is already downloaded and intact", dest)
		return downloaded{dest, o.size, sum, ev}, nil
	}
	logf("downloading s3://%s/%s (%s)", o.bucket, o.key, runbook.Amount(o.size, "bytes"))
	part := dest + ".part"
	err := fetch(ctx, api, o, part, fetched)
	var sum *rdb.Summary
	var ev []runbook.Evidence
	if err == nil {
		if sum, ev, err = check(part, o, time.Now(), verified); err == nil {
			err = os.Rename(part, dest)
		}
	}
	if err != nil {
		os.Remove(part)
		return downloaded{}, err
	}
	logf("s3://%s/%s: %s in %s, checks passed", o.bucket, o.key, runbook.Amount(o.size, "bytes"), time.Since(start).Round(time.Millisecond))
	return downloaded{dest, o.size, sum, ev}, nil
}

// result records the files in the exported objects' order, as load reads
// them. taken_at is the earliest shard's capture: no key is older.
func result(got []downloaded) runbook.Result {
	res := runbook.Result{OK: true, Outputs: map[string]string{}}
	var files []string
	var total, keyCount int64
	taken := ""
	for _, d := range got {
		files = append(files, d.path)
		total += d.size
		keyCount += d.sum.Keys
		res.Evidence = append(res.Evidence, runbook.Evidence{Name: "file", Value: fmt.Sprintf("%s (%s)", d.path, runbook.Amount(d.size, "bytes")), OK: true})
		res.Evidence = append(res.Evidence, d.ev...)
		res.Evidence = append(res.Evidence, snapshot.Evidence(d.sum)...)
		res.Outputs["rdb_version"] = strconv.Itoa(d.sum.Version)
		if at := snapshot.TakenAt(d.sum); at != "" && (taken == "" || earlier(at, taken)) {
			taken = at
		}
	}
	if taken != "" {
		res.Put(runbook.DownloadTakenAt, taken)
	}
	res.Summary = fmt.Sprintf("%d file(s), %s, %d keys, checks passed", len(files), runbook.Amount(total, "bytes"), keyCount)
	res.Put(runbook.DownloadFile, files[0])
	res.Put(runbook.DownloadFiles, strings.Join(files, ","))
	res.Outputs["bytes"], res.Outputs["keys"] = strconv.FormatInt(total, 10), strconv.FormatInt(keyCount, 10)
	return res
}

// earlier compares two unix-ms timestamps.
func earlier(a, b string) bool {
	x, _ := strconv.ParseInt(a, 10, 64)
	y, _ := strconv.ParseInt(b, 10, 64)
	return x < y
}

// reuse checks a file downloaded by an earlier run; a nil summary means it
// must be downloaded.
func reuse(dest string, o object, report func(runbook.Progress)) (*rdb.Summary, []runbook.Evidence) {
	st, err := os.Stat(dest)
	if err != nil || st.Size() != o.size {
		return nil, nil
	}
	sum, ev, err := check(dest, o, time.Now(), report)
	if err != nil {
		return nil, nil
	}
	return sum, ev
}

// Verify re-reads the downloaded files.
func (e *Executor) Verify(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	_, keys, err := objects(env)
	if err != nil {
		return runbook.Result{}, err
	}
	res := runbook.Result{OK: true}
	for _, k := range keys {
		dest := localPath(env.Config, k)
		sum, err := snapshot.VerifyFile(dest, time.Now(), nil)
		if err != nil {
			res.OK = false
			res.Evidence = append(res.Evidence, runbook.Evidence{Name: "file", Value: err.Error(), Want: "a complete RDB", OK: false})
			continue
		}
		res.Evidence = append(res.Evidence, runbook.Evidence{Name: "file", Value: fmt.Sprintf("%s: %d keys, checksum %s", dest, sum.Keys, sum.Checksum.Status), OK: true})
	}
	res.Summary = "the downloaded files are intact"
	if !res.OK {
		res.Summary = "a downloaded file is missing or damaged: re-run migrate.download"
	}
	return res, nil
}

// apiErr is one line naming the call and what AWS said.
func apiErr(op string, err error) error { return probes.AWSCallError("S3", op, err, callTimeout) }
