package main

import (
	"context"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/seed"
)

// The whole runbook on the cluster lab, headless: a cluster-mode source
// of 3 shards to a Redis Cluster of 3 primaries with replicas, every step
// through `cutover run` in runbook order, the drill a CLUSTER FAILOVER.
func TestClusterMigrationWithRunCommand(t *testing.T) {
	t.Parallel()
	h := headlessLab(t, "--cluster")
	dir, env, config, journal, printed, step := h.dir, h.env, h.config, h.journal, h.printed, h.step

	step("inventory.discover")
	if got := outputOf(t, journal, "inventory.discover", "cluster_mode"); got != "enabled" {
		t.Fatalf("inventory.discover: cluster_mode %q", got)
	}
	step("inventory.cost")
	for _, d := range [][2]string{
		{"inventory.auth", "requirepass"}, {"inventory.tls", "plaintext"}, {"inventory.ha", "cluster"},
		{"inventory.monitoring", "exporter"}, {"inventory.backup", "bgsave-s3"}, {"migrate.strategy", "rdb"},
	} {
		step(d[0], "--choice", d[1], "--reason", "e2e: the cluster lab's "+d[1])
	}
	step("inventory.upgrades", "--note", "bob owns patches and CVEs")
	step("inventory.baseline")
	for _, id := range []string{"build.reachable", "build.users", "build.persistence", "build.replication", "build.cluster", "build.memory",
		"build.databases", "build.keyspace_events", "build.commands", "build.scripts", "build.version", "build.monitoring"} {
		step(id)
	}
	step("build.backup", "--skip", "--reason", "e2e: no backup schedule in the lab")
	step("build.dns", "--yes")
	step("migrate.snapshot", "--yes")
	step("migrate.export", "--yes")
	if keys := strings.Split(outputOf(t, journal, "migrate.export", "keys"), ","); len(keys) != 3 {
		t.Fatalf("the export of 3 shards gave %v", keys)
	}
	step("migrate.download")
	step("migrate.load", "--yes", "--second", "bob")
	step("migrate.parity")
	checkClusterLoaded(t, env, journal)

	swapVerifyRollback(t, step, env, config)
	if ev := outputOf(t, journal, "verify.failover", "events"); !strings.Contains(ev, "promoted") {
		t.Errorf("the cluster drill's events %q lack the promotion", ev)
	}
	if lost := outputOf(t, journal, "verify.failover", "acked_lost"); lost != "0" {
		t.Errorf("a coordinated CLUSTER FAILOVER lost %s acknowledged writes", lost)
	}

	out, code := cutoverCLI(t, config, "status", "--json")
	if code != 0 {
		t.Fatalf("status --json: exit %d\n%s", code, out)
	}
	checkStates(t, out, map[string]string{
		"build.backup": "skipped", "inventory.global": "n/a", "build.acl": "n/a", "build.tls": "n/a", "build.sentinel": "n/a",
		"migrate.dualwrite": "n/a", "migrate.live": "n/a", "verify.decommission": "ready",
	})
	reportFile := filepath.Join(t.TempDir(), "report.md")
	if out, code := cutoverCLI(t, config, "report", "-o", reportFile); code != 0 {
		t.Fatalf("report: exit %d\n%s", code, out)
	}
	report := readFile(t, reportFile)
	for _, want := range []string{"## Cost case", "Cluster node events of the last drill", "Objects (one per primary)"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report does not mention %q", want)
		}
	}
	noSecrets(t, dir, map[string]string{"the report": report, "the journal": readFile(t, journal), "the commands' output": printed.String()})
}

// checkClusterLoaded: the target's primaries hold every key of the three
// shard files, each on the primary serving its slot (a cluster node takes
// no key of a slot it does not serve), and the seeded keys read the same
// through cluster clients on both sides.
func checkClusterLoaded(t *testing.T, env map[string]string, journal string) {
	t.Helper()
	snapshot, err := strconv.Atoi(outputOf(t, journal, "migrate.download", "keys"))
	if err != nil || snapshot < labKeys {
		t.Fatalf("migrate.download recorded %q keys", outputOf(t, journal, "migrate.download", "keys"))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	dst := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(env["TARGET_NODES"], ","), Password: env["TARGET_PASSWORD"]})
	defer dst.Close()
	src := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(env["SOURCE_NODES"], ","), Password: env["SOURCE_PASSWORD"]})
	defer src.Close()
	var total int64
	primaries := 0
	err = dst.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		n, err := c.DBSize(ctx).Result()
		if err != nil {
			return err
		}
		if n == 0 {
			t.Errorf("primary %s holds no key", c.Options().Addr)
		}
		total += n
		primaries++
		return nil
	})
	if err != nil || primaries != 3 || total < int64(snapshot) {
		t.Fatalf("target: %d keys over %d primaries (%v); want the snapshot's %d over 3", total, primaries, err, snapshot)
	}
	last := seed.ProfileCount(labKeys) - 1
	for _, key := range []string{seed.BigStringKey, seed.BigListKey, seed.BigHashKey, seed.BigZSetKey, seed.StreamKey,
		seed.ProfileKey(0), seed.ProfileKey(last), "user:0:settings", "user:0:tags", "leaderboard:game:0", "cart:0"} {
		want, err := keyValue(ctx, src, key)
		if err != nil {
			t.Errorf("source %s: %v", key, err)
			continue
		}
		if got, err := keyValue(ctx, dst, key); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("target %s: differs from the source (%v)", key, err)
		}
	}
}

// nodeRow is a row of the cluster pane: role P or R, then ops/s.
var nodeRow = regexp.MustCompile(`[▸ ][PR] +[0-9.]+k? `)

// The console on the cluster lab: the target pane is the cluster's (its
// state, the slots and a row per node), ] moves the focused shard, and
// build.cluster (after build.reachable, run headless) runs from the
// keyboard.
func TestConsoleOnClusterLab(t *testing.T) {
	t.Parallel()
	_, config := startLab(t, "2000", "--cluster")
	if out, code := cutoverCLI(t, config, "run", "build.reachable"); code != 0 {
		t.Fatalf("build.reachable: exit %d\n%s", code, out)
	}
	tm := newTmux(t, 160, 48, "CUTOVER_OPERATOR=alice TERM=xterm-256color "+binary+" tui --config "+config)
	tm.waitScreen("the cluster pane with its six nodes", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "cluster_state ok") && strings.Contains(s, "slots 16384/16384") && len(nodeRow.FindAllString(s, -1)) == 6
	})
	tm.keys("]")
	tm.waitScreen("the focus on the second shard", 10*time.Second, func(s string) bool { return strings.Contains(s, "shard 2/3") })
	// build.cluster is the 18th step of a cluster-mode ElastiCache runbook.
	for range 17 {
		tm.keys("j")
	}
	tm.waitScreen("build.cluster focused", 5*time.Second, func(s string) bool { return strings.Contains(s, "Cluster slots") })
	tm.keys("Enter")
	journal := filepath.Join(filepath.Dir(config), "cutover.journal")
	tm.waitJournal(journal, "build.cluster", 30*time.Second)
	tm.keys("q")
}

// typeToGoOn is the resource a confirm dialog asks to be typed.
var typeToGoOn = regexp.MustCompile(`Type (\S+) to go on`)

// The cluster drill from the console's keyboard, after the swap made
// headless: CLUSTER FAILOVER chosen in the dialog, confirmed by a second
// operator, the promotion and its figures on screen.
func TestConsoleDrillOnClusterLab(t *testing.T) {
	t.Parallel()
	_, config := startLab(t, "2000", "--cluster")
	journal := filepath.Join(filepath.Dir(config), "cutover.journal")
	for _, args := range [][]string{
		{"migrate.strategy", "--choice", "rdb", "--reason", "e2e"},
		{"build.dns", "--yes"},
		{"migrate.parity", "--skip", "--reason", "e2e: the drill alone, no data moved"},
		{"cutover.gonogo", "--yes", "--second", "bob"},
		{"cutover.cname", "--yes", "--second", "bob"},
		{"verify.connect"},
	} {
		if out, code := cutoverCLI(t, config, append([]string{"run"}, args...)...); code != 0 {
			t.Fatalf("cutover run %s: exit %d\n%s", args[0], code, out)
		}
	}
	tm := newTmux(t, 160, 48, "CUTOVER_OPERATOR=alice TERM=xterm-256color "+binary+" tui --config "+config)
	tm.waitScreen("the cluster pane", 30*time.Second, func(s string) bool { return strings.Contains(s, "cluster_state ok") })
	tm.keys("G", "k", "k", "k")
	tm.waitScreen("verify.failover focused", 5*time.Second, focused("verify.failover"))
	tm.keys("Enter")
	screen := tm.waitScreen("the drill's confirm dialog", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "Run verify.failover") && typeToGoOn.MatchString(s)
	})
	resource := typeToGoOn.FindStringSubmatch(screen)[1]
	tm.keys("Right", "Right") // kill, freeze, failover
	tm.keys("Enter")
	tm.keys("-l", resource)
	tm.keys("Enter")
	tm.keys("-l", "bob")
	tm.keys("Enter")
	tm.waitJournal(journal, "verify.failover", 60*time.Second)
	if mode := outputOf(t, journal, "verify.failover", "mode"); mode != "failover" {
		t.Errorf("the drill ran in mode %q; the dialog chose failover", mode)
	}
	tm.waitScreen("the drill's result on screen", 10*time.Second, func(s string) bool { return strings.Contains(s, "promoted") })
	tm.keys("q")
}
