package snapshot

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/replication"
	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

func sourceAddr(cfg *runbook.Config) (string, error) {
	u, err := url.Parse(cfg.Source.URL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("source.url %q is not a redis:// URL", cfg.Source.URL)
	}
	return u.Host, nil
}

// fileName is the snapshot file for a source address at t.
func fileName(addr string, t time.Time) string {
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, addr)
	return fmt.Sprintf("cutover-%s-%s.rdb", clean, t.UTC().Format("20060102-150405"))
}

func (e *Executor) planSelfManaged(cfg *runbook.Config) (runbook.Plan, error) {
	addr, err := sourceAddr(cfg)
	if err != nil {
		return runbook.Plan{}, err
	}
	file := filepath.Join(Dir(cfg), fileName(addr, e.now()))
	calls := []string{fmt.Sprintf("connect to %s", addr)}
	if cfg.Source.Secret.Value != "" {
		calls = append(calls, "AUTH with the source credentials")
	}
	calls = append(calls,
		"REPLCONF capa eof",
		"REPLCONF rdb-only 1",
		"SYNC (PSYNC ? -1 if SYNC is refused): receive the RDB, length-prefixed or diskless",
		"write "+file+" (the second of the run), then read it back: structure and CRC64")
	return runbook.Plan{
		Summary:  fmt.Sprintf("Snapshot %s over the replication protocol into %s", addr, Dir(cfg)),
		Resource: addr,
		Calls:    calls,
		Warnings: []string{"The source forks to write the RDB (BGSAVE, or a diskless transfer): its latency may rise and its memory grow with the write rate while it runs."},
	}, nil
}

func (e *Executor) runSelfManaged(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	cfg := env.Config
	addr, err := sourceAddr(cfg)
	if err != nil {
		return runbook.Result{}, err
	}
	dir := Dir(cfg)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return runbook.Result{}, fmt.Errorf("cannot create the snapshot directory: %w", err)
	}
	taken := e.now()
	path := filepath.Join(dir, fileName(addr, taken))
	client := probes.Client(cfg.Source, "snapshot", probes.ConfigDir(cfg.Dir))
	defer client.Close()
	env.Logf("snapshot of %s over the replication protocol into %s", addr, path)
	size, err := writeSnapshot(path, func(w *bufio.Writer) (int64, error) {
		return replication.ReplicateWith(ctx, client.Options(), w, func(done, total int64) {
			report(runbook.Progress{Done: done, Total: total, Unit: "bytes", Message: "receiving from " + addr})
		})
	})
	if err != nil {
		return runbook.Result{}, err
	}
	env.Logf("received %s; verifying the file", runbook.Amount(size, "bytes"))
	sum, err := VerifyFile(path, e.now(), func(done, total int64) {
		report(runbook.Progress{Done: done, Total: total, Unit: "bytes", Message: "verifying " + filepath.Base(path)})
	})
	if err != nil {
		return runbook.Result{}, fmt.Errorf("the snapshot received from %s does not verify (%v); re-run migrate.snapshot", addr, err)
	}
	at := TakenAt(sum)
	if at == "" {
		at = strconv.FormatInt(taken.UnixMilli(), 10)
	}
	return runbook.Result{
		OK:       true,
		Summary:  fmt.Sprintf("snapshot of %s: %s, %d keys, checksum %s", addr, runbook.Amount(size, "bytes"), sum.Keys, sum.Checksum.Status),
		Evidence: append([]runbook.Evidence{{Name: "file", Value: path, OK: true}}, Evidence(sum)...),
		Outputs: map[string]string{
			runbook.SnapshotFile.Name: path, "bytes": strconv.FormatInt(size, 10), "keys": strconv.FormatInt(sum.Keys, 10),
			"rdb_version": strconv.Itoa(sum.Version), runbook.SnapshotTakenAt.Name: at,
		},
	}, nil
}

// writeSnapshot writes to path.part through fill, syncs and renames it;
// nothing is left behind on failure.
func writeSnapshot(path string, fill func(*bufio.Writer) (int64, error)) (int64, error) {
	part := path + ".part"
	f, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, fmt.Errorf("cannot create the snapshot file: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	n, err := fill(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(part, path)
	}
	if err != nil {
		os.Remove(part)
		return n, err
	}
	return n, nil
}

func (e *Executor) verifySelfManaged(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	path := env.Fact(runbook.SnapshotFile)
	if path == "" {
		return runbook.Result{Summary: "no snapshot file is recorded; run migrate.snapshot"}, nil
	}
	sum, err := VerifyFile(path, e.now(), nil)
	if err != nil {
		return runbook.Result{Summary: err.Error(), Evidence: []runbook.Evidence{{Name: "file", Value: path, Want: "a complete RDB", OK: false}}}, nil
	}
	return runbook.Result{
		OK:       true,
		Summary:  fmt.Sprintf("%s: %d keys, checksum %s", path, sum.Keys, sum.Checksum.Status),
		Evidence: append([]runbook.Evidence{{Name: "file", Value: path, OK: true}}, Evidence(sum)...),
	}, nil
}
