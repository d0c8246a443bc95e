package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/seed"
	"github.com/cutover/cutover/steps/livesync"
)

// The whole migration on a lab, driven the two ways an operator can: every
// step through `cutover run`, and the swap from the console's keyboard.

const labKeys = 3000

func TestRDBMigrationWithRunCommand(t *testing.T) {
	t.Parallel()
	h := headlessLab(t)
	dir, env, config, journal, printed, step := h.dir, h.env, h.config, h.journal, h.printed, h.step
	inventoryAndBuild(step, "rdb")
	step("migrate.snapshot", "--yes")
	step("migrate.export", "--yes")
	step("migrate.download")
	step("migrate.load", "--yes", "--second", "bob")
	step("migrate.parity")
	checkLoaded(t, env, journal)

	swapVerifyRollback(t, step, env, config)
	if out, code := cutoverCLI(t, config, "run", "verify.decommission", "--note", "e2e: too early"); code == 0 || !strings.Contains(out, "must wait until") {
		t.Errorf("verify.decommission was not held for days after the swap: exit %d\n%s", code, out)
	}

	out, code := cutoverCLI(t, config, "status", "--json")
	if code != 0 {
		t.Fatalf("status --json: exit %d\n%s", code, out)
	}
	checkStates(t, out, map[string]string{
		"build.monitoring": "done", "cutover.stragglers": "done", "build.backup": "skipped",
		"inventory.global": "n/a", "build.acl": "n/a", "build.tls": "n/a", "build.cluster": "n/a", "migrate.dualwrite": "n/a", "migrate.live": "n/a",
		"verify.decommission": "ready", // ready, but ticking it waits 7 days after the swap
	})

	reportFile := filepath.Join(t.TempDir(), "report.md")
	if out, code := cutoverCLI(t, config, "report", "-o", reportFile); code != 0 {
		t.Fatalf("report: exit %d\n%s", code, out)
	}
	report := readFile(t, reportFile)
	for _, want := range []string{"rollback.cname", "bob", "e2e: no backup schedule in the lab", "## Cost case", "staying is cheaper"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report does not mention %q", want)
		}
	}
	noSecrets(t, dir, map[string]string{
		"the report": report, "the journal": readFile(t, journal), "the log": readFile(t, filepath.Join(dir, "cutover.log")),
		"the commands' output": printed.String(),
	})
}

// The live strategy headless: the sync copies the lab while its
// application writes, the swap drains it and waits for the application to
// leave the source, and the lab counts the acknowledged writes lost.
func TestLiveMigrationWithRunCommand(t *testing.T) {
	t.Parallel()
	h := headlessLab(t)
	dir, config, printed, step := h.dir, h.config, h.printed, h.step
	inventoryAndBuild(step, "live")
	go func() { // the rolling restart, while cutover.cname waits for the application to leave
		time.Sleep(10 * time.Second)
		restartApp(t, config)
	}()
	// One process: the sync migrate.live starts lives as long as it does.
	step("migrate.live", "migrate.parity", "cutover.gonogo", "cutover.cname", "--yes", "--second", "bob")
	everyKeyEqual(t, h.env)
	step("cutover.stragglers")
	step("verify.data")

	reportFile := filepath.Join(t.TempDir(), "report.md")
	if out, code := cutoverCLI(t, config, "report", "-o", reportFile); code != 0 {
		t.Fatalf("report: exit %d\n%s", code, out)
	}
	report := readFile(t, reportFile)
	for _, want := range []regexp.Regexp{*regexp.MustCompile(`acknowledged writes lost[^\n]*\b0 of [1-9][0-9]* keys`), *regexp.MustCompile(`live sync stopped`), *regexp.MustCompile(`writes paused on the source`)} {
		if !want.MatchString(report) {
			t.Errorf("the report does not show %s", want.String())
		}
	}
	noSecrets(t, dir, map[string]string{"the report": report, "the commands' output": printed.String(),
		"the journal": readFile(t, filepath.Join(dir, "cutover.journal"))})
}

// everyKeyEqual compares every key of the source with the target once the
// sync has stopped: type, value and TTL (within 1 s). The application's
// own keys are left out: it writes them on the target now.
func everyKeyEqual(t *testing.T, env map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	src := labClient(env["SOURCE_ADDR"], env["SOURCE_PASSWORD"])
	defer src.Close()
	dst := labClient(env["TARGET_PRIMARY_ADDR"], env["TARGET_PASSWORD"])
	defer dst.Close()
	var keys []string
	it := src.Scan(ctx, 0, "", 1000).Iterator()
	for it.Next(ctx) {
		if !strings.HasPrefix(it.Val(), "app:") {
			keys = append(keys, it.Val())
		}
	}
	var c livesync.Compared
	if err := it.Err(); err != nil || len(keys) < labKeys {
		t.Fatalf("SCAN on the source: %d keys, %v", len(keys), err)
	}
	if err := livesync.Compare(ctx, src, dst, 0, keys, time.Second, &c); err != nil {
		t.Fatal(err)
	}
	t.Logf("every key compared after the sync stopped: %d of %d equal", c.Same, c.Keys)
	if c.Diffs > 0 || c.Same != len(keys) {
		t.Fatalf("%d of %d keys differ: %v", c.Diffs, c.Keys, c.Differs)
	}
}

// headless is a lab driven through `cutover run`: its directory, the
// brisk config, the journal, lab.env, and step, which runs steps and
// collects what the binary printed (checked for secrets).
type headless struct {
	dir, config, journal string
	env                  map[string]string
	printed              *strings.Builder
	step                 func(args ...string)
}

// headlessLab starts a lab of labKeys keys with flags (--serverless,
// --cluster) for a headless flow.
func headlessLab(t *testing.T, flags ...string) *headless {
	t.Helper()
	_, labConfig := startLab(t, strconv.Itoa(labKeys), flags...)
	h := &headless{dir: filepath.Dir(labConfig), config: briskConfig(t, labConfig), printed: &strings.Builder{}}
	h.journal, h.env = filepath.Join(h.dir, "cutover.journal"), labEnv(t, h.dir)
	h.step = stepper(t, h.config, h.printed)
	return h
}

// stepper runs one step with `cutover run`, failing the test if it fails;
// printed collects the output.
func stepper(t *testing.T, config string, printed *strings.Builder) func(args ...string) {
	return func(args ...string) {
		t.Helper()
		start := time.Now()
		out, code := cutoverCLI(t, config, append([]string{"run"}, args...)...)
		printed.WriteString(out)
		if code != 0 {
			t.Fatalf("cutover run %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
		t.Logf("%-20s %5.1fs", args[0], time.Since(start).Seconds())
	}
}

// swapVerifyRollback runs the swap and everything after it: go/no-go, the
// CNAME (proven to lead to the target), the application restarted,
// stragglers, the watch, the verify steps with a coordinated failover
// drill and the backup test, then the rollback (proven to lead back).
func swapVerifyRollback(t *testing.T, step func(args ...string), env map[string]string, config string) {
	t.Helper()
	step("cutover.gonogo", "--yes", "--second", "bob")
	step("cutover.cname", "--yes", "--second", "bob")
	resolvesTo(t, env, "target.lab.internal.", env["TARGET_PRIMARY_ADDR"])
	restartApp(t, config)
	step("cutover.stragglers")
	step("cutover.restart", "--note", "e2e: POST app/restart to the lab")
	step("cutover.watch")
	step("verify.connect")
	step("verify.data")
	step("verify.performance")
	step("verify.failover", "--yes", "--second", "bob", "--opt", "mode=failover")
	step("verify.backup", "--yes")
	step("rollback.cname", "--yes", "--second", "bob")
	resolvesTo(t, env, "source.lab.internal.", env["SOURCE_ADDR"])
}

// inventoryAndBuild runs the inventory and build phases the lab has, with
// strategy chosen for migrate.strategy.
func inventoryAndBuild(step func(args ...string), strategy string) {
	step("inventory.discover")
	step("inventory.cost")
	for _, d := range [][2]string{
		{"inventory.auth", "requirepass"}, {"inventory.tls", "plaintext"}, {"inventory.ha", "sentinel"},
		{"inventory.monitoring", "exporter"}, {"inventory.backup", "bgsave-s3"}, {"migrate.strategy", strategy},
	} {
		step(d[0], "--choice", d[1], "--reason", "e2e: the lab's "+d[1])
	}
	step("inventory.upgrades", "--note", "bob owns patches and CVEs")
	step("inventory.baseline")
	for _, id := range []string{"build.reachable", "build.users", "build.persistence", "build.replication", "build.sentinel", "build.memory", "build.databases", "build.keyspace_events", "build.commands", "build.scripts", "build.version", "build.monitoring"} {
		step(id)
	}
	step("build.backup", "--skip", "--reason", "e2e: no backup schedule in the lab")
	step("build.dns", "--yes")
}

// noSecrets fails the test if any text holds one of the lab's passwords.
func noSecrets(t *testing.T, dir string, texts map[string]string) {
	t.Helper()
	for _, secret := range labSecrets(t, dir) {
		for what, text := range texts {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains a lab password", what)
			}
		}
	}
}

// checkLoaded holds the target to the snapshot right after the load: at
// least as many keys as the RDB had, and seeded keys of every type equal
// to the source's (the lab app never writes them).
func checkLoaded(t *testing.T, env map[string]string, journal string) {
	t.Helper()
	snapshot, err := strconv.Atoi(outputOf(t, journal, "migrate.download", "keys"))
	if err != nil || snapshot < labKeys {
		t.Fatalf("migrate.download recorded %q keys; want a count of at least %d", outputOf(t, journal, "migrate.download", "keys"), labKeys)
	}
	if loaded := outputOf(t, journal, "migrate.load", "keys"); loaded != strconv.Itoa(snapshot) {
		t.Errorf("migrate.load recorded %s keys loaded; the snapshot has %d", loaded, snapshot)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	src := labClient(env["SOURCE_ADDR"], env["SOURCE_PASSWORD"])
	defer src.Close()
	dst := labClient(env["TARGET_PRIMARY_ADDR"], env["TARGET_PASSWORD"])
	defer dst.Close()
	if n, err := dst.DBSize(ctx).Result(); err != nil || n < int64(snapshot) {
		t.Errorf("target DBSIZE %d (err %v); want at least the snapshot's %d keys", n, err, snapshot)
	}
	last := seed.ProfileCount(labKeys) - 1
	keys := []string{seed.BigStringKey, seed.BigListKey, seed.BigHashKey, seed.BigZSetKey, seed.StreamKey,
		seed.ProfileKey(0), seed.ProfileKey(last), "user:0:settings", "user:0:tags", "user:0:feed", "leaderboard:game:0", "cart:0"}
	for _, key := range keys {
		want, err := keyValue(ctx, src, key)
		if err != nil {
			t.Errorf("source %s: %v", key, err)
			continue
		}
		if got, err := keyValue(ctx, dst, key); err != nil {
			t.Errorf("target %s: %v", key, err)
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("%s differs between the source and the target", key)
		}
	}
}

// keyValue reads a key whole, in an order that does not depend on the
// server's hash table layout.
func keyValue(ctx context.Context, c redis.Cmdable, key string) (any, error) {
	typ, err := c.Type(ctx, key).Result()
	if err != nil {
		return nil, err
	}
	switch typ {
	case "string":
		return c.Get(ctx, key).Result()
	case "list":
		return c.LRange(ctx, key, 0, -1).Result()
	case "hash":
		return c.HGetAll(ctx, key).Result()
	case "set":
		m, err := c.SMembers(ctx, key).Result()
		slices.Sort(m)
		return m, err
	case "zset":
		return c.ZRangeWithScores(ctx, key, 0, -1).Result()
	case "stream":
		return c.XRange(ctx, key, "-", "+").Result()
	}
	return nil, fmt.Errorf("type %q (want an existing seeded key)", typ)
}

func labClient(addr, password string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Password: password, DialTimeout: 5 * time.Second,
		ReadTimeout: 5 * time.Second, Protocol: 2, DisableIdentity: true})
}

// resolvesTo resolves the lab's CNAME through the lab's DNS server.
func resolvesTo(t *testing.T, env map[string]string, cname, addr string) {
	t.Helper()
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, env["DNS_ADDR"])
	}}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	name := env["CNAME"]
	if got, err := r.LookupCNAME(ctx, name); err != nil || got != cname {
		t.Errorf("%s is a CNAME of %q (err %v); want %s", name, got, err, cname)
	}
	host, _, _ := net.SplitHostPort(addr)
	if ips, err := r.LookupHost(ctx, name); err != nil || !slices.Equal(ips, []string{host}) {
		t.Errorf("%s resolves to %v (err %v); want %s", name, ips, err, host)
	}
}

func TestConsoleSwapMovesTraffic(t *testing.T) {
	t.Parallel()
	_, config := startLab(t, "2000")
	journal := filepath.Join(filepath.Dir(config), "cutover.journal")
	for _, args := range [][]string{
		{"migrate.strategy", "--choice", "rdb", "--reason", "e2e"},
		{"build.dns", "--yes"},
		{"migrate.parity", "--skip", "--reason", "e2e: the swap alone, no data moved"},
		{"cutover.gonogo", "--yes", "--second", "bob"},
	} {
		if out, code := cutoverCLI(t, config, append([]string{"run"}, args...)...); code != 0 {
			t.Fatalf("cutover run %s: exit %d\n%s", args[0], code, out)
		}
	}
	statusJSON, _ := cutoverCLI(t, config, "status", "--json")
	ids := stepIDs(t, statusJSON)
	ups := slices.Index(ids, "rollback.cname") - slices.Index(ids, "cutover.cname")
	// The application loads its script on the source and calls it by SHA:
	// after the swap the target answers NOSCRIPT, an abort criterion.
	labPost(t, config, "app/evalsha")

	tm := newTmux(t, 120, 40, "CUTOVER_OPERATOR=alice TERM=xterm-256color "+binary+" tui --config "+config)
	tm.waitScreen("the app's traffic on the source", 30*time.Second, func(s string) bool {
		src, dst, ok := paneOps(s)
		return ok && src > 50 && dst < 50
	})
	tm.keys("G")
	tm.waitScreen("rollback.cname focused", 5*time.Second, focused("rollback.cname"))
	for range ups {
		tm.keys("k")
	}
	tm.waitScreen("cutover.cname focused", 5*time.Second, focused("cutover.cname"))
	tm.keys("Enter")
	tm.waitScreen("the confirm dialog with the plan", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "Run cutover.cname") && strings.Contains(s, "Point cache.lab.internal at target.lab.internal")
	})
	tm.keys("-l", "cache.lab.internal")
	tm.keys("Enter")
	tm.waitScreen("the second operator's field", 5*time.Second, func(s string) bool { return strings.Contains(s, "▸ Second operator") })
	tm.keys("-l", "alice")
	tm.keys("Enter")
	tm.waitScreen("the refusal of alice as her own second", 5*time.Second, func(s string) bool {
		return strings.Contains(s, "someone other than alice")
	})
	if journalHas(t, journal, "cutover.cname", "start") {
		t.Fatal("cutover.cname started with alice as her own second operator")
	}
	for range len("alice") {
		tm.keys("BSpace")
	}
	tm.keys("-l", "bob")
	tm.keys("Enter")
	tm.waitJournal(journal, "cutover.cname", 30*time.Second)
	if second := startOf(t, journal, "cutover.cname").Second; second != "bob" {
		t.Fatalf("cutover.cname was confirmed by %q; want bob", second)
	}

	restartApp(t, config)
	restarted := time.Now()
	tm.waitScreen("the app's traffic on the target and the rollback banner", 30*time.Second, func(s string) bool {
		src, dst, ok := paneOps(s)
		return ok && dst > 50 && src < 10 && strings.Contains(s, "ROLLBACK AVAILABLE")
	})
	t.Logf("the panes showed the traffic on the target %.1fs after the app's restart", time.Since(restarted).Seconds())
	tm.waitScreen("the abort banner for NOSCRIPT", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "ABORT: target.errorstat_NOSCRIPT > 0") && strings.Contains(s, "window ends")
	})
	tm.keys("b")
	tm.waitScreen("rollback.cname's confirm dialog, one key from the banner", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "Run rollback.cname") && strings.Contains(s, "Type cache.lab.internal to go on")
	})
	tm.keys("Escape")
	tm.waitScreen("the dialog closed", 5*time.Second, func(s string) bool { return !strings.Contains(s, "Run rollback.cname") })
	tm.keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for exec.Command("tmux", "-L", tm.sock, "has-session", "-t", "e2e").Run() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the console did not quit on q; screen:\n%s", tm.screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The live strategy from the console's keyboard: migrate.live starts the
// sync, which the console shows while it runs, then the swap drains it and
// waits for the application to leave, with no acknowledged write lost.
func TestConsoleLiveSync(t *testing.T) {
	t.Parallel()
	_, config := startLab(t, "2000")
	dir := filepath.Dir(config)
	env := labEnv(t, dir)
	journal := filepath.Join(dir, "cutover.journal")
	for _, args := range [][]string{
		{"migrate.strategy", "--choice", "live", "--reason", "e2e"},
		{"build.reachable"}, {"build.version"}, {"build.dns", "--yes"},
	} {
		if out, code := cutoverCLI(t, config, append([]string{"run"}, args...)...); code != 0 {
			t.Fatalf("cutover run %s: exit %d\n%s", args[0], code, out)
		}
	}
	statusJSON, _ := cutoverCLI(t, config, "status", "--json")
	ids := stepIDs(t, statusJSON)
	tm := newTmux(t, 120, 40, "CUTOVER_OPERATOR=alice TERM=xterm-256color "+binary+" tui --config "+config)
	tm.waitScreen("the console", 30*time.Second, func(s string) bool { return strings.Contains(s, "Checklist") })
	// A check runs on enter (resource ""); an action's run option fields
	// come first (enter keeps each default), then the resource and bob.
	runFromKeys := func(id string, options int, resource string) {
		t.Helper()
		tm.keys("G")
		tm.waitScreen("rollback.cname focused", 5*time.Second, focused("rollback.cname"))
		for range slices.Index(ids, "rollback.cname") - slices.Index(ids, id) {
			tm.keys("k")
		}
		tm.waitScreen(id+" focused", 5*time.Second, focused(id))
		tm.keys("Enter")
		if resource != "" {
			tm.waitScreen("the confirm dialog of "+id, 20*time.Second, func(s string) bool { return strings.Contains(s, "Run "+id) })
			for range options {
				tm.keys("Enter")
			}
			tm.keys("-l", resource)
			tm.keys("Enter")
			tm.waitScreen("the second operator's field", 5*time.Second, func(s string) bool { return strings.Contains(s, "▸ Second operator") })
			tm.keys("-l", "bob")
			tm.keys("Enter")
		}
		tm.waitJournal(journal, id, 90*time.Second)
	}
	runFromKeys("migrate.live", 1, env["TARGET_PRIMARY_ADDR"])
	tm.waitScreen("the running sync on screen", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "LIVE SYNC") && strings.Contains(s, "lag 0.")
	})
	runFromKeys("migrate.parity", 0, "")
	go func() { // the rolling restart, while cutover.cname waits for the application to leave
		time.Sleep(10 * time.Second)
		restartApp(t, config)
	}()
	runFromKeys("cutover.gonogo", 0, "go")
	runFromKeys("cutover.cname", 1, "cache.lab.internal")
	if lost := outputOf(t, journal, "cutover.cname", "lab_writes_lost"); lost != "0" {
		t.Fatalf("cutover.cname: %q acknowledged writes lost on the lab; want 0", lost)
	}
	tm.waitScreen("the sync stopped", 10*time.Second, func(s string) bool { return !strings.Contains(s, "LIVE SYNC ·") })
	tm.keys("q")
}

// focused reports whether the step pane shows id.
func focused(id string) func(string) bool {
	re := regexp.MustCompile(regexp.QuoteMeta(id) + `\s+(check|action|decision|manual) · gate`)
	return func(s string) bool { return re.MatchString(s) }
}

// paneOps reads the ops/s figures of the source and target INFO panes,
// which sit side by side on one line.
func paneOps(screen string) (src, dst float64, ok bool) {
	for _, line := range strings.Split(screen, "\n") {
		m := opsLine.FindAllStringSubmatch(line, -1)
		if len(m) != 2 {
			continue
		}
		return opsValue(m[0][1]), opsValue(m[1][1]), true
	}
	return 0, 0, false
}

func opsValue(s string) float64 {
	scale := 1.0
	if v, ok := strings.CutSuffix(s, "k"); ok {
		s, scale = v, 1000
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f * scale
}

// cutoverCLI runs the binary as alice against config.
func cutoverCLI(t *testing.T, config string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append(args, "--config", config)...)
	cmd.Env = append(os.Environ(), "CUTOVER_OPERATOR=alice")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("cutover %s: %v", strings.Join(args, " "), err)
	}
	return string(out), 0
}

// briskConfig writes a copy of the lab's config next to it (its relative
// paths stay valid) with shorter windows: a 2 s baseline and a 3 s watch
// instead of 10 s and 30 s keep the package's tests under a minute. latency_margin
// goes to the most the config allows (p99 up to 11 times the baseline):
// the test proves the flow, and two shared busy cores stall single PINGs
// by tens of milliseconds now and then.
func briskConfig(t *testing.T, labConfig string) string {
	t.Helper()
	text := readFile(t, labConfig)
	// Windows of 2 and 3 seconds make the hit rate noisy: its margin widens
	// with them (the watch's judgement is tested in probes).
	for key, value := range map[string]string{"baseline_window": "2s", "watch_duration": "3s", "latency_margin": "10", "hit_rate_margin": "0.15"} {
		re := regexp.MustCompile(`(?m)^(\s+` + key + `:).*$`)
		if !re.MatchString(text) {
			t.Fatalf("the lab's %s has no thresholds.%s to shorten", labConfig, key)
		}
		text = re.ReplaceAllString(text, "${1} "+value)
	}
	path := filepath.Join(filepath.Dir(labConfig), "e2e-brisk.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// restartApp asks the lab for a rolling restart of its application.
func restartApp(t *testing.T, config string) {
	t.Helper()
	labPost(t, config, "app/restart")
}

// labPost POSTs to the lab's control endpoint.
func labPost(t *testing.T, config, path string) {
	t.Helper()
	var cfg struct {
		Lab struct {
			ControlURL string `yaml:"control_url"`
		}
	}
	if err := yaml.Unmarshal([]byte(readFile(t, config)), &cfg); err != nil || cfg.Lab.ControlURL == "" {
		t.Fatalf("%s: no lab.control_url (err %v)", config, err)
	}
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Post(cfg.Lab.ControlURL+path, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s%s: %s", cfg.Lab.ControlURL, path, resp.Status)
	}
}

// labEnv reads D/lab.env (KEY=VALUE lines).
func labEnv(t *testing.T, dir string) map[string]string {
	t.Helper()
	env := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(readFile(t, filepath.Join(dir, "lab.env"))))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
			env[k] = v
		}
	}
	for _, k := range []string{"SOURCE_ADDR", "SOURCE_PASSWORD", "TARGET_PRIMARY_ADDR", "TARGET_PASSWORD", "DNS_ADDR", "CNAME"} {
		if env[k] == "" {
			t.Fatalf("lab.env has no %s", k)
		}
	}
	return env
}

// labSecrets returns the passwords in D/secrets/*.pass.
func labSecrets(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "secrets", "*.pass"))
	var secrets []string
	for _, f := range files {
		if s := strings.TrimSpace(readFile(t, f)); len(s) >= 8 {
			secrets = append(secrets, s)
		}
	}
	if len(secrets) < 2 {
		t.Fatalf("want the source's and the target's passwords in %s/secrets, found %d", dir, len(secrets))
	}
	return secrets
}

// flowEvent is the part of a journal event the tests read.
type flowEvent struct {
	Step, Type, Second string
	Result             struct{ Outputs map[string]string }
}

func journalEvents(t *testing.T, path string) []flowEvent {
	t.Helper()
	var events []flowEvent
	for _, line := range strings.Split(readFile(t, path), "\n") {
		var ev flowEvent
		if json.Unmarshal([]byte(line), &ev) == nil {
			events = append(events, ev)
		}
	}
	return events
}

// outputOf is an output of the step's last success.
func outputOf(t *testing.T, journal, step, key string) string {
	t.Helper()
	v := ""
	for _, ev := range journalEvents(t, journal) {
		if ev.Step == step && ev.Type == "succeed" {
			v = ev.Result.Outputs[key]
		}
	}
	return v
}

func startOf(t *testing.T, journal, step string) flowEvent {
	t.Helper()
	for _, ev := range journalEvents(t, journal) {
		if ev.Step == step && ev.Type == "start" {
			return ev
		}
	}
	t.Fatalf("the journal has no start of %s", step)
	return flowEvent{}
}

func stepIDs(t *testing.T, statusJSON string) []string {
	t.Helper()
	var ids []string
	for _, s := range statuses(t, statusJSON) {
		ids = append(ids, s.ID)
	}
	return ids
}

// checkStates wants every step done unless listed.
func checkStates(t *testing.T, statusJSON string, except map[string]string) {
	t.Helper()
	for _, s := range statuses(t, statusJSON) {
		want := except[s.ID]
		if want == "" {
			want = "done"
		}
		if s.State != want {
			t.Errorf("%s is %s; want %s", s.ID, s.State, want)
		}
	}
}

// statuses are the steps of `status --json`, in runbook order.
func statuses(t *testing.T, statusJSON string) []struct{ ID, State string } {
	t.Helper()
	var st struct {
		Steps []struct{ ID, State string }
	}
	if err := json.Unmarshal([]byte(statusJSON), &st); err != nil || len(st.Steps) == 0 {
		t.Fatalf("status --json: %v\n%s", err, statusJSON)
	}
	return st.Steps
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
