// Package backup is verify.backup: a backup made on the target and proven
// to restore. BGSAVE on the primary, the RDB fetched over the replication
// protocol, uploaded to the bucket, loaded into a scratch redis-server on
// this machine and its key counts compared with the target's.
package backup

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/internal/replication"
	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// Executors are this package's steps by ID.
func Executors() map[runbook.StepID]runbook.Executor {
	return map[runbook.StepID]runbook.Executor{runbook.VerifyBackup: &Backup{}}
}

// Backup is the verify.backup executor.
type Backup struct {
	Timing Timing
}

func checkConfig(cfg *runbook.Config) error {
	if cfg.S3.Bucket == "" {
		return errors.New("s3.bucket is not set: the backup test uploads the RDB there; set s3.bucket (and s3.prefix)")
	}
	return nil
}

// objectKey names the uploaded file under s3.prefix; the primaries of a
// cluster (shard i of n) each get theirs, numbered as exports are.
func objectKey(cfg *runbook.Config, t time.Time, i, n int) string {
	shard := ""
	if n > 1 {
		shard = fmt.Sprintf("-%04d", i+1)
	}
	return cfg.S3.Prefix + "verify-backup-" + t.UTC().Format("20060102T150405Z") + shard + ".rdb"
}

// workDir is where the file is fetched to: beside the journal.
func workDir(cfg *runbook.Config) string {
	if cfg.Journal != "" {
		return filepath.Dir(cfg.Journal)
	}
	return os.TempDir()
}

// Plan says what will run where.
func (b *Backup) Plan(ctx context.Context, env *runbook.Env) (runbook.Plan, error) {
	cfg := env.Config
	if err := checkConfig(cfg); err != nil {
		return runbook.Plan{}, err
	}
	addrs, err := probes.TargetPrimaries(ctx, cfg)
	if err != nil {
		return runbook.Plan{}, err
	}
	addr, key := strings.Join(addrs, ", "), objectKey(cfg, time.Now(), 0, len(addrs))
	summary := fmt.Sprintf("Back up the target primary %s to s3://%s/%s and prove it restores", addr, cfg.S3.Bucket, key)
	if len(addrs) > 1 {
		summary = fmt.Sprintf("Back up each of the cluster's %d primaries (%s) to s3://%s/%s and the next numbers, and prove each restores", len(addrs), addr, cfg.S3.Bucket, key)
	}
	p := runbook.Plan{Resource: addrs[0],
		Summary: summary,
		Calls: []string{
			fmt.Sprintf("LASTSAVE, INFO persistence and INFO keyspace on %s", addr),
			fmt.Sprintf("BGSAVE SCHEDULE on %s; poll until LASTSAVE moves and the save is ok (at most %s)", addr, b.Timing.save()),
			fmt.Sprintf("REPLCONF capa eof, REPLCONF rdb-only 1, SYNC on %s: the RDB to a temporary file in %s", addr, workDir(cfg)),
			fmt.Sprintf("S3 upload with the transfer manager (multipart, 16 MB parts, 4 at a time) to s3://%s/%s, then HeadObject: the size must match", cfg.S3.Bucket, key),
			fmt.Sprintf("start redis-server from PATH on 127.0.0.1:<free port> with the file as its %s and a random password; wait until it has loaded (at most %s)", rdbName, b.Timing.load()),
			fmt.Sprintf("INFO keyspace on the scratch server and on %s: keys per db within thresholds.parity_tolerance (%g%%)", addr, cfg.Thresholds.ParityTolerance*100),
			"SHUTDOWN NOSAVE the scratch server; delete the temporary files (the uploaded object stays)",
		},
		Warnings: []string{"BGSAVE and SYNC each fork the primary: under heavy writes its memory can grow by the pages written during the save"},
	}
	if len(addrs) > 1 {
		p.Calls = append(p.Calls, "the above for each primary in turn, one at a time")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		p.Warnings = append(p.Warnings, "redis-server is not on PATH here: the run will fail at the restore; install it first")
	}
	return p, nil
}

// Run makes the backup of each primary, uploads it and restores it into a
// scratch server.
func (b *Backup) Run(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	cfg := env.Config
	res := runbook.Result{Outputs: map[string]string{}, OK: true}
	if err := checkConfig(cfg); err != nil {
		return res, err
	}
	addrs, err := probes.TargetPrimaries(ctx, cfg)
	if err != nil {
		return res, err
	}
	now := time.Now()
	var keys, sizes []string
	var restored, target, bytes int64
	for i, addr := range addrs {
		one, err := b.backupOne(ctx, env, addr, objectKey(cfg, now, i, len(addrs)), report)
		if len(addrs) > 1 {
			for j := range one.evidence {
				one.evidence[j].Name = addr + ": " + one.evidence[j].Name
			}
		}
		res.Evidence = append(res.Evidence, one.evidence...)
		if err != nil {
			return res, err
		}
		res.OK = res.OK && one.ok
		keys, sizes = append(keys, one.key), append(sizes, strconv.FormatInt(one.size, 10))
		restored, target, bytes = restored+one.restored, target+one.target, bytes+one.size
		res.Outputs["lastsave"] = one.lastsave
	}
	res.Put(runbook.BackupBucket, cfg.S3.Bucket)
	res.Put(runbook.BackupKey, strings.Join(keys, ","))
	res.Put(runbook.BackupBytes, strings.Join(sizes, ","))
	res.Outputs["restored_keys"] = strconv.FormatInt(restored, 10)
	res.Outputs["target_keys"] = strconv.FormatInt(target, 10)
	where := fmt.Sprintf("s3://%s/%s", cfg.S3.Bucket, keys[0])
	if len(keys) > 1 {
		where = fmt.Sprintf("%d backups (one per primary) from s3://%s/%s", len(keys), cfg.S3.Bucket, keys[0])
	}
	res.Summary = fmt.Sprintf("backup %s (%s) restores: %d keys, the target has %d", where, runbook.Amount(bytes, "bytes"), restored, target)
	if !res.OK {
		res.Summary = fmt.Sprintf("backup %s restores %d keys, but the target has %d: beyond the tolerance", where, restored, target)
	}
	return res, nil
}

// backedUp is one primary's backup.
type backedUp struct {
	evidence         []runbook.Evidence
	key, lastsave    string
	size             int64
	restored, target int64
	ok               bool
}

// backupOne saves, fetches, uploads and restores one primary.
func (b *Backup) backupOne(ctx context.Context, env *runbook.Env, addr, key string, report func(runbook.Progress)) (backedUp, error) {
	cfg := env.Config
	out := backedUp{key: key}
	c := probes.Client(cfg.Target.Endpoint, "backup", probes.Addr(addr), probes.PoolSize(1), probes.ConfigDir(cfg.Dir))
	defer c.Close()

	before, err := probes.KeyCounts(ctx, c)
	if err != nil {
		return out, fmt.Errorf("INFO keyspace on %s: %s", addr, probes.Explain(err))
	}
	env.Logf("backup: BGSAVE on %s", addr)
	sv, err := bgsave(ctx, c, b.Timing.save(), report)
	if err != nil {
		return out, err
	}
	env.Logf("backup: BGSAVE done in %s (LASTSAVE %s)", sv.took.Round(time.Millisecond), sv.after.UTC().Format(time.DateTime))
	out.lastsave = sv.after.UTC().Format(time.RFC3339)
	out.evidence = append(out.evidence, runbook.Evidence{Name: "BGSAVE", Value: fmt.Sprintf("LASTSAVE %s (was %s), status ok, %s",
		sv.after.UTC().Format(time.DateTime), sv.before.UTC().Format(time.DateTime), sv.took.Round(time.Millisecond)), Want: "LASTSAVE moves", OK: true})

	dir, err := os.MkdirTemp(workDir(cfg), "cutover-backup-")
	if err != nil {
		return out, fmt.Errorf("temporary directory for the backup file: %w", err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, rdbName)
	if out.size, err = fetch(ctx, c, addr, file, report); err != nil {
		return out, err
	}
	env.Logf("backup: fetched %s from %s", runbook.Amount(out.size, "bytes"), addr)

	if err := upload(ctx, cfg, file, key, report); err != nil {
		return out, err
	}
	env.Logf("backup: uploaded s3://%s/%s", cfg.S3.Bucket, key)
	out.evidence = append(out.evidence, runbook.Evidence{Name: "uploaded", Value: fmt.Sprintf("s3://%s/%s (%s)", cfg.S3.Bucket, key, runbook.Amount(out.size, "bytes")), Want: "same size in the bucket", OK: true})

	report(runbook.Progress{Message: "restoring into a scratch redis-server"})
	sc, err := startScratch(ctx, dir, b.Timing.load())
	if err != nil {
		return out, err
	}
	defer sc.stop()
	env.Logf("backup: scratch redis-server on %s loaded the file", sc.addr)
	restored, err := probes.KeyCounts(ctx, sc.client)
	if err != nil {
		return out, fmt.Errorf("INFO keyspace on the scratch server: %s", probes.Explain(err))
	}
	target, err := probes.KeyCounts(ctx, c)
	if err != nil {
		return out, fmt.Errorf("INFO keyspace on %s: %s", addr, probes.Explain(err))
	}
	ev, ok := compare(restored, before, target, cfg.Thresholds.ParityTolerance)
	out.evidence = append(out.evidence, ev...)
	out.ok, out.restored, out.target = ok, sum(restored), sum(target)
	return out, nil
}

// fetch copies the primary's RDB to path over the replication protocol.
func fetch(ctx context.Context, c *redis.Client, addr, path string, report func(runbook.Progress)) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup file: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	n, err := replication.ReplicateWith(ctx, c.Options(), w, func(done, total int64) {
		report(runbook.Progress{Done: done, Total: total, Unit: "bytes", Message: "fetching the RDB from " + addr})
	})
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("fetching the RDB from %s: %v", addr, err)
	}
	return n, nil
}

// Verify re-checks, changing nothing, that the uploaded object is still in
// the bucket with the size recorded.
func (b *Backup) Verify(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	cfg := env.Config
	key := env.Fact(runbook.BackupKey)
	if key == "" {
		return runbook.Result{Summary: "no backup was recorded: run the step"}, nil
	}
	bucket := cmp.Or(env.Fact(runbook.BackupBucket), cfg.S3.Bucket)
	keys, sizes := strings.Split(key, ","), strings.Split(env.Fact(runbook.BackupBytes), ",")
	res := runbook.Result{OK: true}
	var total int64
	for i, k := range keys {
		n, err := objectSize(ctx, cfg, bucket, k)
		if err != nil {
			return runbook.Result{}, err
		}
		want := ""
		if i < len(sizes) {
			want = sizes[i]
		}
		ok := strconv.FormatInt(n, 10) == want
		res.OK, total = res.OK && ok, total+n
		res.Evidence = append(res.Evidence, runbook.Evidence{Name: "backup object s3://" + bucket + "/" + k, Value: fmt.Sprintf("%d bytes", n), Want: want + " bytes", OK: ok})
	}
	res.Summary = fmt.Sprintf("s3://%s/%s holds %s", bucket, key, runbook.Amount(total, "bytes"))
	if len(keys) > 1 {
		res.Summary = fmt.Sprintf("the %d backup objects in s3://%s hold %s", len(keys), bucket, runbook.Amount(total, "bytes"))
	}
	return res, nil
}

func sum(m map[int]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
