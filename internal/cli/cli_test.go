package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/runbook"
)

const (
	sourceSecret = "src-Secret-7f3a9c"
	targetSecret = "dst-Secret-b81e44"
)

// cliEnv is a config and journal in a fresh directory. Its servers and
// its AWS endpoint are loopback ports nobody listens on, so whatever the
// build's executors try fails at once and never leaves the machine.
type cliEnv struct {
	t       *testing.T
	dir     string
	config  string
	journal string
	outputs []string // everything printed, to check for secrets
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`operator: alice
source:
  kind: redis
  url: redis://%s
  password_file: source.pw
target:
  kind: standalone
  url: redis://%s
  password_file: target.pw
aws:
  region: us-east-1
  endpoint: http://%s
`, closedPort(t, "127.0.0.61"), closedPort(t, "127.0.0.62"), closedPort(t, "127.0.0.63"))
	labtest.AWSEnv(t) // the SDK must not go looking for real credentials
	t.Setenv("CUTOVER_OPERATOR", "")
	for name, body := range map[string]string{"cutover.yaml": cfg, "source.pw": sourceSecret + "\n", "target.pw": targetSecret + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e := &cliEnv{t: t, dir: dir, config: filepath.Join(dir, "cutover.yaml"), journal: filepath.Join(dir, "cutover.journal")}
	t.Cleanup(e.checkNoSecrets)
	return e
}

// closedPort returns host:port with nothing listening on it.
func closedPort(t *testing.T, host string) string {
	t.Helper()
	l, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// cutover runs the command line in-process with --config added after the
// subcommand.
func (e *cliEnv) cutover(args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	if len(args) > 0 && args[0] != "version" {
		args = append([]string{args[0], "--config", e.config}, args[1:]...)
	}
	return e.raw(args...)
}

func (e *cliEnv) raw(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, stdio{&out, &errOut, strings.NewReader("")})
	e.outputs = append(e.outputs, out.String(), errOut.String())
	return code, out.String(), errOut.String()
}

// expect runs a command and checks its exit code and that stderr (or
// stdout, on success) holds want.
func (e *cliEnv) expect(wantCode int, want string, args ...string) string {
	e.t.Helper()
	code, out, errOut := e.cutover(args...)
	if code != wantCode {
		e.t.Fatalf("cutover %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, out, errOut)
	}
	where := errOut
	if wantCode == 0 {
		where = out
	}
	if !strings.Contains(where, want) {
		e.t.Fatalf("cutover %s: output lacks %q\nstdout: %s\nstderr: %s", strings.Join(args, " "), want, out, errOut)
	}
	return out
}

func (e *cliEnv) checkNoSecrets() {
	journal, _ := os.ReadFile(e.journal)
	for _, s := range append(e.outputs, string(journal)) {
		if strings.Contains(s, sourceSecret) || strings.Contains(s, targetSecret) {
			e.t.Errorf("a password was printed or journaled:\n%s", s)
		}
	}
}

type jsonStatus struct {
	Steps []map[string]any `json:"steps"`
}

func (e *cliEnv) status() map[string]map[string]any {
	e.t.Helper()
	out := e.expect(0, "", "status", "--json")
	var st jsonStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		e.t.Fatalf("status --json is not JSON: %v\n%s", err, out)
	}
	byID := map[string]map[string]any{}
	for _, s := range st.Steps {
		byID[s["id"].(string)] = s
	}
	return byID
}

// seed records events straight into the journal, as an earlier session would have.
func (e *cliEnv) seed(evs ...runbook.Event) {
	e.t.Helper()
	cfg, err := runbook.LoadConfig(e.config, os.Getenv)
	if err != nil {
		e.t.Fatal(err)
	}
	eng, _, err := runbook.Open(cfg, runbook.New(), "alice")
	if err != nil {
		e.t.Fatal(err)
	}
	defer eng.Close()
	for _, ev := range evs {
		ev.Operator = "alice"
		if _, err := eng.Record(ev); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *cliEnv) journalEvents() int {
	rep, err := runbook.ReadJournal(e.journal)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(rep.Events)
}

func TestVersion(t *testing.T) {
	e := newCLIEnv(t)
	code, out, errOut := e.raw("version")
	if code != 0 || out != "cutover dev\n" || errOut != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestHelpOfEveryCommandExitsZero(t *testing.T) {
	e := newCLIEnv(t)
	p, err := kong.New(&cli{})
	if err != nil {
		t.Fatal(err)
	}
	cmds := [][]string{{"--help"}}
	for _, c := range p.Model.Children {
		cmds = append(cmds, []string{c.Name, "--help"})
	}
	if len(cmds) < 5 {
		t.Fatalf("only %d commands", len(cmds)-1)
	}
	for _, args := range cmds {
		code, out, errOut := e.raw(args...)
		want := "Usage: cutover " + strings.TrimPrefix(args[0], "--help")
		if code != 0 || !strings.Contains(out, strings.TrimSpace(want)) {
			t.Errorf("cutover %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	e := newCLIEnv(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "cutover.yaml: no such file; pass --config"}, // the console is the default command
		{[]string{"launch"}, `cutover: unexpected argument launch (see cutover --help)`},
		{[]string{"status", "--colour"}, "cutover: unknown flag --colour"},
		{[]string{"run"}, `cutover: expected "<step> ..."`},
		{[]string{"status", "--config", filepath.Join(e.dir, "nope.yaml")},
			"cutover: " + filepath.Join(e.dir, "nope.yaml") + ": no such file; pass --config with the path of your cutover.yaml (make lab writes one)\n"},
	} {
		code, out, errOut := e.raw(c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("cutover %q: exit %d, want 2\nstderr %q\nwant   %q\nstdout %q", c.args, code, errOut, c.want, out)
		}
	}
}

func TestBadConfigExitsTwo(t *testing.T) {
	e := newCLIEnv(t)
	if err := os.WriteFile(e.config, []byte("source:\n  kind: memcached\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"status", "plan", "run"} {
		args := []string{cmd}
		if cmd == "run" {
			args = append(args, "build.reachable")
		}
		e.expect(2, "cutover: "+e.config+`:2: source.kind: "memcached" is not one of elasticache, elasticache-serverless, redis`, args...)
	}
}

func TestStatusJSONShape(t *testing.T) {
	e := newCLIEnv(t)
	out := e.expect(0, "", "status", "--json")
	var st jsonStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	rb := runbook.New()
	if len(st.Steps) != len(rb.Steps) {
		t.Fatalf("%d steps, want %d", len(st.Steps), len(rb.Steps))
	}
	for i, s := range st.Steps {
		def := rb.Steps[i]
		if s["id"] != string(def.ID) {
			t.Fatalf("step %d is %v, want %s: not in runbook order", i, s["id"], def.ID)
		}
		var keys []string
		for k := range s {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"gate", "id", "kind", "options", "phase", "state"}) {
			t.Fatalf("%s has keys %v", def.ID, keys)
		}
		wantOpts := []any{}
		for _, o := range def.Options {
			wantOpts = append(wantOpts, o.ID)
		}
		gate := string(def.Gate)
		if gate == "" {
			gate = "none"
		}
		if s["phase"] != def.Phase || s["kind"] != string(def.Kind) || s["gate"] != gate || !reflect.DeepEqual(s["options"], wantOpts) {
			t.Fatalf("%s: %v", def.ID, s)
		}
	}
	byID := e.status()
	for id, want := range map[string]string{
		"inventory.discover": "ready", "inventory.auth": "pending", "build.sentinel": "n/a",
		"migrate.snapshot": "pending", "build.dns": "ready", "rollback.cname": "pending",
	} {
		if got := byID[id]["state"]; got != want {
			t.Errorf("%s is %v, want %s", id, got, want)
		}
	}
	if got := byID["migrate.strategy"]["options"]; !reflect.DeepEqual(got, []any{"rdb", "dualwrite", "live"}) {
		t.Errorf("migrate.strategy options %v", got)
	}
}

func TestDecision(t *testing.T) {
	e := newCLIEnv(t)
	e.expect(2, "cutover: migrate.strategy is a decision: pass --choice (one of rdb, dualwrite, live) and --reason", "run", "migrate.strategy")
	e.expect(2, `cutover: migrate.strategy has no option "snapshot"; choose one of [rdb dualwrite live]`, "run", "migrate.strategy", "--choice", "snapshot", "--reason", "x")
	e.expect(2, "cutover: deciding migrate.strategy needs a reason", "run", "migrate.strategy", "--choice", "rdb")
	if n := e.journalEvents(); n != 0 {
		t.Fatalf("refused decisions wrote %d events", n)
	}
	e.expect(0, "migrate.strategy: chose rdb (a 5-minute miss window is fine)\n", "run", "migrate.strategy", "--choice", "rdb", "--reason", "a 5-minute miss window is fine")
	st := e.status()
	d := st["migrate.strategy"]
	if d["state"] != "done" || d["choice"] != "rdb" || d["reason"] != "a 5-minute miss window is fine" || d["by"] != "alice" || d["at"] == nil {
		t.Fatalf("migrate.strategy: %v", d)
	}
	if st["migrate.snapshot"]["state"] != "ready" || st["migrate.dualwrite"]["state"] != "n/a" || st["migrate.export"]["state"] != "n/a" {
		t.Fatalf("after choosing rdb: snapshot %v, dualwrite %v, export %v", st["migrate.snapshot"]["state"], st["migrate.dualwrite"]["state"], st["migrate.export"]["state"])
	}
	if n := e.journalEvents(); n != 1 {
		t.Fatalf("journal has %d events, want 1", n)
	}
	out := e.expect(0, "chose rdb: a 5-minute miss window is fine", "status")
	if !strings.Contains(out, "STEP") || !strings.Contains(out, "✓ done") {
		t.Fatalf("status table:\n%s", out)
	}
}

func TestManualTick(t *testing.T) {
	e := newCLIEnv(t)
	e.expect(2, "cutover: inventory.upgrades needs inventory.discover, which is ready but not run yet", "run", "inventory.upgrades", "--note", "platform team")
	e.seed(runbook.Event{Type: runbook.EvStart, Step: "inventory.discover"},
		runbook.Event{Type: runbook.EvSucceed, Step: "inventory.discover", Result: &runbook.Result{OK: true, Summary: "found"}})
	e.expect(2, "cutover: ticking inventory.upgrades needs a note saying what was done", "run", "inventory.upgrades")
	e.expect(0, "inventory.upgrades ticked: platform team owns patching\n", "run", "inventory.upgrades", "--note", "platform team owns patching")
	if s := e.status()["inventory.upgrades"]; s["state"] != "done" || s["by"] != "alice" {
		t.Fatalf("inventory.upgrades: %v", s)
	}
	e.expect(2, "cutover: inventory.upgrades is already done", "run", "inventory.upgrades", "--note", "again")
}

func TestSkip(t *testing.T) {
	e := newCLIEnv(t)
	e.expect(2, "cutover: skipping build.dns needs a reason", "run", "build.dns", "--skip")
	e.expect(0, "build.dns skipped: the DNS team lowers the TTL\n", "run", "build.dns", "--skip", "--reason", "the DNS team lowers the TTL")
	if s := e.status()["build.dns"]; s["state"] != "skipped" || s["reason"] != "the DNS team lowers the TTL" {
		t.Fatalf("build.dns: %v", s)
	}
	e.expect(0, "reason: the DNS team lowers the TTL", "status")
}

func TestRunRefusals(t *testing.T) {
	e := newCLIEnv(t)
	e.expect(2, "cutover: no step \"build.nope\"; `cutover plan` lists them", "run", "build.nope")
	e.expect(2, "cutover: build.persistence needs build.reachable, which is ready but not run yet", "run", "build.persistence")
	e.expect(2, "cutover: build.sentinel does not apply: only for target kind sentinel; this one is standalone", "run", "build.sentinel")
	if n := e.journalEvents(); n != 0 {
		t.Fatalf("refused runs wrote %d events", n)
	}
}

func TestCostNeedsAnElastiCacheSource(t *testing.T) {
	e := newCLIEnv(t)
	e.expect(2, "cutover: "+e.config+": source.kind is redis: the cost case compares an ElastiCache bill", "cost")
	if n := e.journalEvents(); n != 0 {
		t.Errorf("cutover cost wrote %d journal events", n)
	}
}

func TestFailedCheckExitsOne(t *testing.T) {
	e := newCLIEnv(t)
	// Nothing listens on the target's port: whatever this build's check
	// does, it cannot pass.
	e.expect(1, "build.reachable", "run", "build.reachable", "--timeout", "10s")
}

func TestLockedJournalIsRefused(t *testing.T) {
	e := newCLIEnv(t)
	l, err := runbook.AcquireLock(e.journal, "bob")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	e.expect(2, fmt.Sprintf("cutover: journal %s is driven by bob (pid %d on ", e.journal, os.Getpid()), "run", "migrate.strategy", "--choice", "rdb", "--reason", "x")
	e.expect(0, fmt.Sprintf("journal %s is driven by bob", e.journal), "status")
	if n := e.journalEvents(); n != 0 {
		t.Fatalf("a refused run wrote %d events", n)
	}
}

func TestPlanListsEveryStep(t *testing.T) {
	e := newCLIEnv(t)
	out := e.expect(0, "", "plan", "--timeout", "5s")
	for _, ph := range runbook.Phases {
		if !strings.Contains(out, "== "+ph.Title) {
			t.Errorf("plan lacks the phase %q", ph.Title)
		}
	}
	for _, s := range runbook.New().Steps {
		if !strings.Contains(out, " "+string(s.ID)+" ") {
			t.Errorf("plan lacks %s", s.ID)
		}
	}
}
