package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/rdb"
)

// restartBudget is how long the server may take to come back, and how long
// Sentinel's failover is held off meanwhile.
const restartBudget = 2 * time.Minute

func (e *Executor) planRestart(cfg *runbook.Config, addr string, files []string) (runbook.Plan, error) {
	if err := restartPossible(cfg, addr, files); err != nil {
		return runbook.Plan{}, err
	}
	calls := []string{
		"read " + files[0] + " to the end: structure and CRC64; nothing changes unless it verifies",
		fmt.Sprintf("INFO on %s: refuse if AOF is on (it would load its AOF, not the RDB) or, with existing=refuse, if it holds keys", addr),
		fmt.Sprintf("CONFIG GET dir dbfilename on %s: dir must be target.data_dir %s", addr, cfg.Target.DataDir),
	}
	if cfg.Target.Kind == "sentinel" {
		calls = append(calls, fmt.Sprintf("SENTINEL SET %s down-after-milliseconds %d on each sentinel, so no failover starts during the restart (the old value is put back afterwards)",
			cfg.Target.Sentinel.Master, (restartBudget+time.Minute).Milliseconds()))
	}
	calls = append(calls,
		`CONFIG SET save "" (no BGSAVE may overwrite the placed file; the config file's rules return with the restart)`,
		"copy the file to <dir>/<dbfilename>.cutover-tmp, fsync, rename over <dir>/<dbfilename>",
		"SHUTDOWN NOSAVE on "+addr,
		fmt.Sprintf("wait up to %s for the process manager to start redis-server again and for it to finish loading", restartBudget),
		"compare the keys per db with the file's")
	return runbook.Plan{
		Summary:  fmt.Sprintf("Place %s in %s's data dir and restart it", files[0], addr),
		Resource: addr,
		Calls:    calls,
		Warnings: []string{
			"The restart method needs a process manager (systemd, supervisord, a container runtime) that starts redis-server again after SHUTDOWN: cutover does not start it. The practice lab's servers are children of the lab process, which does not restart them: use method=restore there.",
			"Every key on " + addr + " is replaced by the file's contents; replicas resynchronise in full afterwards.",
		},
	}, nil
}

// restartPossible checks what can be known without the network.
func restartPossible(cfg *runbook.Config, addr string, files []string) error {
	if isCluster(cfg) {
		return errors.New("the restart method places a file on one server; a cluster target is loaded with method=restore, each key to the primary serving its slot")
	}
	if len(files) != 1 {
		return fmt.Errorf("the restart method places one RDB file, and there are %d (one per shard): use method=restore", len(files))
	}
	if cfg.Target.DataDir == "" {
		return errors.New("target.data_dir is not set: the restart method needs the target's data directory on this machine (or use method=restore)")
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("target address %q is not host:port", addr)
	}
	if !isLocal(host) {
		return fmt.Errorf("the target %s is not on this machine: the restart method writes into its data dir; use method=restore", addr)
	}
	return nil
}

// isLocal reports whether host resolves to a loopback address or one of
// this machine's interfaces.
func isLocal(host string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return false
	}
	addrs, _ := net.InterfaceAddrs()
	for _, ip := range ips {
		if ip.IsLoopback() {
			continue
		}
		found := false
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (e *Executor) runRestart(ctx context.Context, env *runbook.Env, c *redis.Client, files []string, sums []*rdb.Summary, report func(runbook.Progress)) (runbook.Result, error) {
	cfg := env.Config
	addr := c.Options().Addr
	if err := restartPossible(cfg, addr, files); err != nil {
		return runbook.Result{}, err
	}
	s, _ := readSettings(env)
	sum := sums[0]
	t, err := Probe(ctx, c)
	if err != nil {
		return runbook.Result{}, err
	}
	if t.AOF {
		return runbook.Result{}, fmt.Errorf("the target %s has appendonly yes: after a restart it loads its AOF and ignores the RDB; use method=restore, or turn AOF off in its config for the restart", addr)
	}
	var dbs []int
	for db := range t.Keys {
		dbs = append(dbs, db)
	}
	if busy := t.Busy(dbs); len(busy) > 0 && s.existing == Refuse {
		return runbook.Result{}, &NotEmptyError{Addr: addr, Busy: busy}
	}
	dest, err := dataFile(ctx, c, cfg)
	if err != nil {
		return runbook.Result{}, err
	}
	if cfg.Target.Kind == "sentinel" {
		resume, err := pauseFailover(ctx, cfg, env.Logf)
		if err != nil {
			return runbook.Result{}, err
		}
		defer resume()
	}
	saves, err := c.ConfigGet(ctx, "save").Result()
	if err != nil {
		return runbook.Result{}, fmt.Errorf("CONFIG GET save on %s: %s", addr, probes.Explain(err))
	}
	if err := c.ConfigSet(ctx, "save", "").Err(); err != nil {
		return runbook.Result{}, fmt.Errorf("CONFIG SET save on %s: %s", addr, probes.Explain(err))
	}
	// Until SHUTDOWN, a failure must give the server its save rules back.
	undo := func(err error) (runbook.Result, error) {
		rctx, cancel := context.WithTimeout(context.Background(), probes.DefaultTimeout)
		defer cancel()
		if rerr := c.ConfigSet(rctx, "save", saves["save"]).Err(); rerr != nil {
			env.Logf("could not restore save %q on %s: %s; set it by hand", saves["save"], addr, probes.Explain(rerr))
		}
		return runbook.Result{}, err
	}
	if err := waitNoSave(ctx, c); err != nil {
		return undo(err)
	}
	env.Logf("placing %s as %s", files[0], dest)
	if err := place(files[0], dest); err != nil {
		return undo(err)
	}
	env.Logf("SHUTDOWN NOSAVE on %s; waiting for the process manager to start it again", addr)
	// The server closes the connection instead of answering.
	var refused redis.Error
	if err := c.ShutdownNoSave(ctx).Err(); errors.As(err, &refused) {
		return undo(fmt.Errorf("SHUTDOWN NOSAVE on %s: %s (the file is in place at %s and loads at the next restart)", addr, probes.Explain(err), dest))
	}
	start := time.Now()
	if err := waitBack(ctx, c, func() {
		report(runbook.Progress{Done: int64(time.Since(start).Seconds()), Total: int64(restartBudget.Seconds()), Unit: "seconds",
			Message: "waiting for redis-server on " + addr + " to come back"})
	}); err != nil {
		return runbook.Result{}, fmt.Errorf("%v; the RDB is in place at %s: start redis-server with your process manager (e.g. systemctl start redis-server), then verify migrate.load", err, dest)
	}
	after, err := Probe(ctx, c)
	if err != nil {
		return runbook.Result{}, err
	}
	res := runbook.Result{OK: true, Summary: fmt.Sprintf("%s restarted with %s in %s", addr, filepath.Base(files[0]), time.Since(start).Round(time.Millisecond)),
		Outputs: map[string]string{"target": addr, "method": "restart"}, Warnings: sum.Warnings}
	var keys int64
	for _, d := range sum.DBs {
		want, have := d.Loadable(), after.Keys[d.DB]
		keys += have
		// Keys may expire between the verifying pass and the load.
		ok := have <= d.Keys && have >= want-int64(cfg.Thresholds.ParityTolerance*float64(want))
		res.OK = res.OK && ok
		res.Evidence = append(res.Evidence, runbook.Evidence{Name: fmt.Sprintf("db%d keys", d.DB), Value: strconv.FormatInt(have, 10), Want: strconv.FormatInt(want, 10), OK: ok})
	}
	res.Outputs[runbook.LoadKeys.Name] = strconv.FormatInt(keys, 10)
	if !res.OK {
		res.Summary = fmt.Sprintf("%s restarted but does not hold the file's keys: check its log (did it load %s?)", addr, dest)
	}
	return res, nil
}

// dataFile is <dir>/<dbfilename> from CONFIG GET, which must be the
// configured target.data_dir.
func dataFile(ctx context.Context, c *redis.Client, cfg *runbook.Config) (string, error) {
	m, err := c.ConfigGet(ctx, "dir").Result()
	if err != nil {
		return "", fmt.Errorf("CONFIG GET dir on %s: %s", c.Options().Addr, probes.Explain(err))
	}
	f, err := c.ConfigGet(ctx, "dbfilename").Result()
	if err != nil {
		return "", fmt.Errorf("CONFIG GET dbfilename on %s: %s", c.Options().Addr, probes.Explain(err))
	}
	want := cfg.Target.DataDir
	if !filepath.IsAbs(want) {
		want = filepath.Join(cfg.Dir, want)
	}
	dir := m["dir"]
	if filepath.Clean(dir) != filepath.Clean(want) {
		return "", fmt.Errorf("the target's dir is %s but target.data_dir is %s: fix target.data_dir (the file must go where the server reads it)", dir, want)
	}
	if f["dbfilename"] == "" || filepath.Base(f["dbfilename"]) != f["dbfilename"] {
		return "", fmt.Errorf("the target's dbfilename %q is not a plain file name", f["dbfilename"])
	}
	return filepath.Join(dir, f["dbfilename"]), nil
}

// waitNoSave waits for a running BGSAVE to end so it cannot replace the
// file after it is placed.
func waitNoSave(ctx context.Context, c *redis.Client) error {
	deadline := time.Now().Add(restartBudget)
	for {
		text, err := c.Info(ctx, "persistence").Result()
		if err != nil {
			return fmt.Errorf("INFO persistence on %s: %s", c.Options().Addr, probes.Explain(err))
		}
		if in := probes.ParseInfo(text); !in.RDBBgsaveInProgress {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("a BGSAVE on %s has not finished after %s; retry when it has", c.Options().Addr, restartBudget)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// place copies src to dest through a synced temporary file and a rename,
// so the server never sees a half-written RDB.
func place(src, dest string) error {
	tmp := dest + ".cutover-tmp"
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("cannot open the RDB file: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("cannot write into the target's data dir: %w", err)
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dest)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("placing the RDB as %s: %w", dest, err)
	}
	return nil
}

// waitBack polls PING until the server answers and has finished loading.
func waitBack(ctx context.Context, c *redis.Client, tick func()) error {
	deadline := time.Now().Add(restartBudget)
	for {
		tick()
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		text, err := c.Info(pctx, "persistence").Result()
		cancel()
		if err == nil && !probes.ParseInfo(text).Loading {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not come back within %s", c.Options().Addr, restartBudget)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
