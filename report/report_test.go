package report

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/runbook"
)

const (
	sourcePW = "src-S3cret-pa55!"
	targetPW = "tgt-S3cret-pa55!"
	awsKeyID = "AKIAABCDEFGHIJKLMNOP"
)

const config = `operator: alice
source:
  kind: redis
  url: redis://127.0.0.1:6379
  password_env: SOURCE_PASSWORD
target:
  kind: sentinel
  url: redis://127.0.0.2:6379
  password_env: TARGET_PASSWORD
  sentinel:
    master: mymaster
    addrs: [127.0.0.4:26379]
s3:
  bucket: lab-backups
  prefix: cutover/
dns:
  hosted_zone_id: Z0LAB
  record: cache.lab.internal
  source_value: source.lab.internal
  target_value: target.lab.internal
`

// fake is an executor with a canned plan and result.
type fake struct {
	plan runbook.Plan
	res  runbook.Result
}

func (f fake) Plan(context.Context, *runbook.Env) (runbook.Plan, error) { return f.plan, nil }
func (f fake) Run(context.Context, *runbook.Env, func(runbook.Progress)) (runbook.Result, error) {
	return f.res, nil
}
func (f fake) Verify(context.Context, *runbook.Env) (runbook.Result, error) { return f.res, nil }

// leaky results quote secrets the way a careless error message would.
func leaky(summary string, outputs map[string]string) runbook.Result {
	return runbook.Result{OK: true, Summary: summary, Outputs: outputs,
		Evidence: []runbook.Evidence{{Name: "auth", Value: "AUTH " + targetPW + " ok via redis://default:" + sourcePW + "@127.0.0.1:6379", OK: true}},
		Warnings: []string{"aws_secret_access_key=" + strings.Repeat("Zk9", 10) + " key " + awsKeyID}}
}

func executors() map[runbook.StepID]runbook.Executor {
	gate := func(res runbook.Result, resource string) fake {
		return fake{plan: runbook.Plan{Summary: "plan quoting " + targetPW, Resource: resource}, res: res}
	}
	return map[runbook.StepID]runbook.Executor{
		"inventory.discover": fake{res: leaky("discovered with "+sourcePW, nil)},
		"inventory.cost": fake{res: runbook.Result{OK: true, Summary: "staying is cheaper: ElastiCache costs $1,752/month less than running it yourself",
			Outputs: map[string]string{"break_even": "at 21.7 shards of cache.r7g.large with 0 replica(s) each (about 213 GB of data)",
				"playbook_rule": "stay: 10 GB of data in 1 cluster(s) is under 50 GB and 5 clusters"},
			Evidence: []runbook.Evidence{{Name: "ElastiCache: total", Value: "$160/month", OK: true}, {Name: "self-managed: total", Value: "$1,912/month", OK: true}}}},
		"inventory.baseline": fake{res: leaky("baseline", map[string]string{"hit_rate": "0.9500", "p99_ms": "1.20", "keys": "200000"})},
		"build.dns":          gate(leaky("TTL lowered", map[string]string{"old_ttl": "300", "ttl": "30", "safe_at": "2026-01-01T10:05:00Z"}), "cache.lab.internal"),
		"cutover.gonogo":     gate(leaky("go given with 1 abort criteria read, 0 true now", map[string]string{"criteria": "1", "true_now": "0"}), "go"),
		"cutover.cname": gate(leaky("swapped", map[string]string{"previous": "source.lab.internal", "value": "target.lab.internal",
			"change_id": "/change/C1", "addr": "127.0.0.2:6379", "run_id": "abc123"}), "cache.lab.internal"),
		"cutover.watch":      fake{res: leaky("back to baseline", map[string]string{"hit_rate": "0.9400", "p99_ms": "1.30"})},
		"verify.connect":     fake{res: leaky("clients connect", nil)},
		"verify.data":        fake{res: leaky("data complete", nil)},
		"verify.performance": fake{res: leaky("at baseline", map[string]string{"hit_rate": "0.9450", "p99_ms": "1.25"})},
		"verify.failover": gate(leaky("kill drill: promoted", map[string]string{"mode": "kill", "detection_ms": "1511", "promotion_ms": "2730",
			"outage_ms": "3030", "first_write_ms": "3021", "acked_lost": "0", "acked_writes": "664", "old_primary": "127.0.0.2:6379",
			"new_primary": "127.0.0.3:6379", "events": "+sdown → +odown → +switch-master"}), "127.0.0.2:6379"),
		"verify.backup": gate(leaky("backup restores", map[string]string{"bucket": "lab-backups", "key": "cutover/verify-backup-x.rdb", "bytes": "2048"}), "127.0.0.3:6379"),
		"rollback.cname": gate(leaky("rolled back", map[string]string{"previous": "target.lab.internal", "value": "source.lab.internal",
			"change_id": "/change/C2", "addr": "127.0.0.1:6379", "run_id": "def456"}), "cache.lab.internal"),
	}
}

func setup(t *testing.T) (*runbook.Config, *runbook.Runbook) {
	t.Helper()
	return setupWith(t, config)
}

func setupWith(t *testing.T, yaml string) (*runbook.Config, *runbook.Runbook) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "cutover.yaml")
	must(t, os.WriteFile(path, []byte(yaml), 0o600))
	env := map[string]string{"SOURCE_PASSWORD": sourcePW, "TARGET_PASSWORD": targetPW}
	cfg, err := runbook.LoadConfig(path, func(k string) string { return env[k] })
	must(t, err)
	rb := runbook.New()
	must(t, rb.Attach(executors()))
	return cfg, rb
}

// migrate drives a whole migration through the engine, as the console
// would, with a crash in the middle.
func migrate(t *testing.T, cfg *runbook.Config, rb *runbook.Runbook) {
	t.Helper()
	ctx := context.Background()
	eng, _, err := runbook.Open(cfg, rb, "alice")
	must(t, err)
	run := func(id runbook.StepID, second string, opts map[string]string) {
		t.Helper()
		req := runbook.Request{Operator: "alice", Second: second, Options: opts}
		if ex := rb.Step(id).Exec; rb.Step(id).Gate == runbook.Confirm || rb.Step(id).Gate == runbook.TwoPerson {
			p, _ := ex.Plan(ctx, nil)
			req.Plan, req.Confirmed = &p, p.Resource
		}
		if _, err := eng.Run(ctx, id, req, nil, nil); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	record := func(ev runbook.Event) {
		t.Helper()
		if ev.Operator == "" {
			ev.Operator = "alice"
		}
		if _, err := eng.Record(ev); err != nil {
			t.Fatalf("%s %s: %v", ev.Type, ev.Step, err)
		}
	}
	run("inventory.discover", "", nil)
	record(runbook.Event{Type: runbook.EvDecide, Step: "inventory.auth", Choice: "acl", Reason: "one user per app, token " + targetPW})
	record(runbook.Event{Type: runbook.EvSkip, Step: "migrate.strategy", Reason: "the cache is rebuilt from the database"})
	run("inventory.baseline", "", nil)
	run("build.dns", "", nil)
	run("cutover.gonogo", "bob", nil)
	run("cutover.cname", "bob", nil)
	record(runbook.Event{Type: runbook.EvTick, Step: "cutover.restart", Note: "rolled the app pods"})
	run("cutover.watch", "", nil)
	run("verify.connect", "", nil)
	// verify.data was running when the process died.
	record(runbook.Event{Type: runbook.EvStart, Step: "verify.data"})
	eng.Close()
	eng, notes, err := runbook.Open(cfg, rb, "bob")
	must(t, err)
	if len(notes) != 1 {
		t.Fatalf("notes %q: want the interruption", notes)
	}
	run("verify.data", "", nil)
	run("verify.performance", "", nil)
	run("verify.failover", "bob", map[string]string{"mode": "kill"})
	run("verify.backup", "", nil)
	run("rollback.cname", "carol", nil)
	eng.Close()
}

func TestReportOfAMigration(t *testing.T) {
	cfg, rb := setup(t)
	migrate(t, cfg, rb)
	var buf bytes.Buffer
	must(t, Write(&buf, cfg, rb, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
	out := buf.String()
	t.Log(out)
	for _, want := range []string{
		"# Migration report",
		"| cutover.cname | ✓ done | alice + bob | typed `cache.lab.internal`, second operator bob |",
		"| inventory.auth | ACL users per application (Redis 6+) | one user per app, token [redacted] | alice |",
		"| migrate.strategy | the cache is rebuilt from the database | alice |",
		"| verify.data | interrupted | was running when the previous cutover process stopped; now done |",
		"| hit rate | 95.00% | 94.00% | 94.50% |",
		"| p99 latency (ms) | 1.20 | 1.30 | 1.25 |",
		"| kill | 1.51 s | 2.73 s | 3.03 s | 3.02 s | 0 of 664 | 127.0.0.2:6379 → 127.0.0.3:6379 |",
		"Sentinel events of the last drill: +sdown → +odown → +switch-master",
		"Object `s3://lab-backups/cutover/verify-backup-x.rdb`, 2048 bytes",
		"| build.dns |", "TTL 300 s → 30 s; safe to swap from 2026-01-01T10:05:00Z",
		"source.lab.internal → target.lab.internal (change /change/C1); clients reach 127.0.0.2:6379, run_id abc123",
		"| rollback.cname |", "alice + carol",
		"Clients were pointed back at the source",
		"| cutover.restart | tick | alice | rolled the app pods |",
		"- Generated 2026-01-02 03:04:05Z",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	journal, err := os.ReadFile(cfg.Journal)
	must(t, err)
	for what, text := range map[string]string{"report": out, "journal": string(journal)} {
		for _, secret := range []string{sourcePW, targetPW, awsKeyID, strings.Repeat("Zk9", 10)} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s holds the secret %q", what, secret)
			}
		}
	}
}

func TestReportCarriesTheCostCase(t *testing.T) {
	yaml := strings.Replace(config, "  kind: redis\n", "  kind: elasticache\n  replication_group: lab-cache\n", 1) + "aws:\n  region: us-east-1\n"
	cfg, rb := setupWith(t, yaml)
	eng, _, err := runbook.Open(cfg, rb, "alice")
	must(t, err)
	for _, id := range []runbook.StepID{runbook.InventoryDiscover, runbook.InventoryCost} {
		if _, err := eng.Run(context.Background(), id, runbook.Request{Operator: "alice"}, nil, nil); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	eng.Close()
	var buf bytes.Buffer
	must(t, Write(&buf, cfg, rb, time.Now()))
	out := buf.String()
	for _, want := range []string{
		"## Cost case", "staying is cheaper: ElastiCache costs $1,752/month less than running it yourself.",
		"Break-even: at 21.7 shards of cache.r7g.large with 0 replica(s) each (about 213 GB of data). The playbook's rule: stay: 10 GB",
		"| ElastiCache: total | $160/month |", "| self-managed: total | $1,912/month |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q\n%s", want, out)
		}
	}
}

func TestReportOfAnEmptyJournal(t *testing.T) {
	cfg, rb := setup(t)
	var buf bytes.Buffer
	must(t, Write(&buf, cfg, rb, time.Now()))
	for _, want := range []string{"Nothing has been run yet.", "The journal is empty.", "The CNAME has not been swapped."} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestReportRefusesADamagedJournal(t *testing.T) {
	cfg, rb := setup(t)
	must(t, os.WriteFile(cfg.Journal, []byte("{\"seq\":1}\nnot json\n"), 0o600))
	err := Write(&bytes.Buffer{}, cfg, rb, time.Now())
	if err == nil || !strings.Contains(err.Error(), "line 1") && !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err %v: want the damaged line named", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// failing is an executor whose run gets part way and then fails.
type failing struct{ fake }

func (f failing) Run(context.Context, *runbook.Env, func(runbook.Progress)) (runbook.Result, error) {
	return f.res, errors.New("Route53 change /change/C9 is still PENDING after 5m0s")
}

func TestReportOfAFailedSwap(t *testing.T) {
	cfg, rb := setup(t)
	plan := runbook.Plan{Summary: "swap", Resource: "cache.lab.internal"}
	must(t, rb.Attach(map[runbook.StepID]runbook.Executor{
		"cutover.cname": failing{fake{plan: plan, res: runbook.Result{Outputs: map[string]string{
			"previous": "source.lab.internal", "value": "target.lab.internal", "change_id": "/change/C9"}}}},
	}))
	eng, _, err := runbook.Open(cfg, rb, "alice")
	must(t, err)
	ctx := context.Background()
	for _, ev := range []runbook.Event{
		{Type: runbook.EvSkip, Step: "migrate.strategy", Reason: "rebuilt from the database"},
		{Type: runbook.EvSkip, Step: "build.dns", Reason: "TTL already 30 s"},
		{Type: runbook.EvSkip, Step: "cutover.gonogo", Reason: "rehearsal"},
	} {
		ev.Operator = "alice"
		_, err := eng.Record(ev)
		must(t, err)
	}
	_, err = eng.Run(ctx, "cutover.cname", runbook.Request{Operator: "alice", Second: "bob", Plan: &plan, Confirmed: plan.Resource}, nil, nil)
	if err == nil {
		t.Fatal("the failing swap succeeded")
	}
	eng.Close()
	var buf bytes.Buffer
	must(t, Write(&buf, cfg, rb, time.Now()))
	for _, want := range []string{
		"| cutover.cname |", "| alice + bob | fail: Route53 change /change/C9 is still PENDING after 5m0s | source.lab.internal → target.lab.internal (change /change/C9) |",
		"The CNAME swap was attempted; it is failed (see the DNS section).",
		"| build.dns | TTL already 30 s | alice |",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, buf.String())
		}
	}
}
