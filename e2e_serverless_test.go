package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The rdb path from an ElastiCache Serverless source, headless: discovery
// through DescribeServerlessCaches, a serverless snapshot, an export of
// several RDB objects, each downloaded and loaded, parity, then the swap,
// the verify steps and the rollback. Lean: only the build steps the data
// path and the swap need.
func TestServerlessMigrationWithRunCommand(t *testing.T) {
	t.Parallel()
	h := headlessLab(t, "--serverless")
	dir, env, config, journal, printed, step := h.dir, h.env, h.config, h.journal, h.printed, h.step

	step("inventory.discover")
	for k, want := range map[string]string{"cluster_mode": "enabled", "transit_encryption": "true", "keyspace_events": "unavailable", "auth": "rbac", "user_group": "lab-users"} {
		if got := outputOf(t, journal, "inventory.discover", k); got != want {
			t.Errorf("inventory.discover recorded %s = %q, want %q", k, got, want)
		}
	}
	step("inventory.cost")
	if got := outputOf(t, journal, "inventory.cost", "verdict"); !strings.HasPrefix(got, "staying is cheaper") {
		t.Errorf("inventory.cost on the serverless lab: %q", got)
	}
	step("migrate.strategy", "--choice", "rdb", "--reason", "e2e: serverless has no keyspace notifications")
	step("inventory.baseline")
	for _, id := range []string{"build.reachable", "build.version", "build.memory", "build.keyspace_events"} {
		step(id)
	}
	step("migrate.snapshot", "--yes")
	step("migrate.export", "--yes")
	keys := strings.Split(outputOf(t, journal, "migrate.export", "keys"), ",")
	if len(keys) < 2 {
		t.Fatalf("the serverless export gave %v; the lab's writes 3 objects", keys)
	}
	step("migrate.download")
	if files := strings.Split(outputOf(t, journal, "migrate.download", "files"), ","); len(files) != len(keys) {
		t.Fatalf("downloaded %v for the objects %v", files, keys)
	}
	step("migrate.load", "--yes", "--second", "bob")
	step("migrate.parity")
	checkLoaded(t, env, journal)

	step("build.dns", "--yes")
	swapVerifyRollback(t, step, env, config)
	noSecrets(t, dir, map[string]string{"the journal": readFile(t, journal), "the commands' output": printed.String()})
}

// The console on a serverless source: the INFO panes go live over TLS with
// no refused command, and inventory.discover runs from the keyboard and
// says what serverless does not have.
func TestConsoleOnServerlessLab(t *testing.T) {
	t.Parallel()
	_, config := startLab(t, "2000", "--serverless")
	tm := newTmux(t, 160, 48, "CUTOVER_OPERATOR=alice TERM=xterm-256color "+binary+" tui --config "+config)
	tm.waitScreen("live ops/s in both INFO panes", 30*time.Second, func(s string) bool {
		return len(opsLine.FindAllString(s, -1)) >= 2
	})
	tm.keys("Enter")
	journal := filepath.Join(filepath.Dir(config), "cutover.journal")
	tm.waitJournal(journal, "inventory.discover", 30*time.Second)
	tm.waitScreen("the serverless facts on screen", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "PASS") && strings.Contains(s, "one virtual shard")
	})
	if s := tm.screen(); strings.Contains(s, "ERR unknown command") || strings.Contains(s, "NOPERM") {
		t.Fatalf("a refused command reached the screen:\n%s", s)
	}
	tm.keys("q")
}
