package runbook

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fakeExec is an executor whose outcome the test chooses; it counts runs
// so a test can prove nothing ran by itself.
type fakeExec struct {
	res      Result
	err      error
	panicMsg string
	progress int // progress reports to send during Run
	runs     int
}

func (f *fakeExec) Plan(context.Context, *Env) (Plan, error) {
	return Plan{Summary: "fake", Resource: "fake-resource"}, nil
}

func (f *fakeExec) Run(ctx context.Context, _ *Env, report func(Progress)) (Result, error) {
	f.runs++
	if f.panicMsg != "" {
		panic(f.panicMsg)
	}
	for i := range f.progress {
		report(Progress{Done: int64(i + 1), Total: int64(f.progress)})
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	return f.res, f.err
}

func (f *fakeExec) Verify(context.Context, *Env) (Result, error) { return f.res, f.err }

// testConfig is a config for an ElastiCache source and a Sentinel target
// whose journal lives in a fresh directory.
func testConfig(t *testing.T) *Config {
	t.Helper()
	dir := t.TempDir()
	c := &Config{Journal: filepath.Join(dir, "cutover.journal"), Log: filepath.Join(dir, "cutover.log"), Dir: dir}
	c.Source.Kind, c.Target.Kind = "elasticache", "sentinel"
	c.Source.Secret.Value = "src-Pa55&<word>"
	c.Target.Secret.Value = `dst"pass\word`
	c.Target.Sentinel.Secret.Value = "sentinel-secret-42"
	return c
}

func openEngine(t *testing.T, cfg *Config, rb *Runbook) (*Engine, Notes) {
	t.Helper()
	e, notes, err := Open(cfg, rb, op)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, notes
}

func record(t *testing.T, e *Engine, evs ...Event) {
	t.Helper()
	for _, ev := range evs {
		if _, err := e.Record(ev); err != nil {
			t.Fatalf("record %s %s: %v", ev.Type, ev.Step, err)
		}
	}
}

func journalLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestReplayFoldsToTheSameState(t *testing.T) {
	cfg := testConfig(t)
	rb := New()
	discover := &fakeExec{res: Result{OK: true, Summary: "found it", Outputs: map[string]string{"global_datastore": "false"}}}
	if err := rb.Attach(map[StepID]Executor{"inventory.discover": discover}); err != nil {
		t.Fatal(err)
	}
	e, _ := openEngine(t, cfg, rb)
	if _, err := e.Run(context.Background(), "inventory.discover", Request{Operator: op}, nil, nil); err != nil {
		t.Fatal(err)
	}
	record(t, e,
		decide("inventory.auth", "acl", "per-app users"),
		tick("inventory.upgrades", "platform team"),
		skip("inventory.baseline", "no traffic yet"),
		startGated("build.dns", "cache.example.internal", "cache.example.internal", ""),
		progress("build.dns", 1, 2),
		fail("build.dns", "throttled"),
		rerun("build.dns", "retry after throttling"),
		startGated("build.dns", "cache.example.internal", "cache.example.internal", ""),
		succeed("build.dns", map[string]string{"old_ttl": "300"}),
	)
	live := e.State()
	e.Close()

	loaded, notes, err := Load(cfg, New())
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 0 {
		t.Fatalf("unexpected notes: %v", notes)
	}
	replayed := loaded.State()
	if !reflect.DeepEqual(replayed.Steps, live.Steps) || !reflect.DeepEqual(replayed.Facts, live.Facts) || replayed.Seq != live.Seq {
		t.Fatalf("replay differs from the live state\nlive:     %+v\nreplayed: %+v", live, replayed)
	}
	if live.Seq != 11 || live.Facts[DNSOldTTL] != "300" || live.Facts[DiscoverGlobalDatastore] != "false" {
		t.Fatalf("seq %d, facts %v", live.Seq, live.Facts)
	}
	rep, err := ReadJournal(cfg.Journal)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range rep.Events {
		if ev.Seq != i+1 || ev.Time.IsZero() || ev.Operator != op {
			t.Fatalf("event %d: seq %d, time %v, operator %q", i+1, ev.Seq, ev.Time, ev.Operator)
		}
	}
}

func TestRecordRefusesAndWritesNothing(t *testing.T) {
	cfg := testConfig(t)
	e, _ := openEngine(t, cfg, New())
	record(t, e, start("build.reachable"))
	before, _ := os.ReadFile(cfg.Journal)
	if _, err := e.Record(start("build.reachable")); err == nil || err.Error() != "build.reachable is already running" {
		t.Fatalf("got %v", err)
	}
	after, _ := os.ReadFile(cfg.Journal)
	if string(after) != string(before) {
		t.Fatal("a refused event was written")
	}
}

func TestLoadIsReadOnlyAndTakesNoLock(t *testing.T) {
	cfg := testConfig(t)
	ro, _, err := Load(cfg, New())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Record(start("build.reachable")); err == nil || err.Error() != "this journal is open read-only" {
		t.Fatalf("got %v", err)
	}
	e, _ := openEngine(t, cfg, New()) // the lock is free
	record(t, e, start("build.reachable"))
}

func TestOpenMarksRunningStepsInterrupted(t *testing.T) {
	cfg := testConfig(t)
	// A crash: starts were written, the process died before the outcome.
	j, err := OpenJournal(cfg.Journal, &Replay{}, cfg.Redactor())
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []Event{start("build.reachable"), startGated("build.dns", "cache.example.internal", "cache.example.internal", "")} {
		ev.Time = t0
		if _, err := j.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()

	rb := New()
	check := &fakeExec{res: Result{OK: true, Summary: "PONG"}}
	action := &fakeExec{res: Result{OK: true, Summary: "TTL lowered"}}
	if err := rb.Attach(map[StepID]Executor{"build.reachable": check, "build.dns": action}); err != nil {
		t.Fatal(err)
	}
	e, notes := openEngine(t, cfg, rb)
	want := Notes{
		"build.reachable was running when the last process stopped: it is now interrupted; verify it or re-run it on purpose",
		"build.dns was running when the last process stopped: it is now interrupted; verify it or re-run it on purpose",
	}
	if !slices.Equal(notes, want) {
		t.Fatalf("notes %q\nwant  %q", notes, want)
	}
	for _, id := range []StepID{BuildReachable, BuildDNS} {
		if st := e.State().Get(id).Status; st != Interrupted {
			t.Fatalf("%s is %s, want interrupted", id, st)
		}
	}
	if check.runs+action.runs != 0 {
		t.Fatal("opening the journal ran a step")
	}
	if lines := journalLines(t, cfg.Journal); len(lines) != 4 || !strings.Contains(lines[2], `"type":"interrupted"`) || !strings.Contains(lines[3], `"type":"interrupted"`) {
		t.Fatalf("journal after open:\n%s", strings.Join(lines, "\n"))
	}

	// The action needs an explicit re-run; the check may simply run again.
	req := Request{Operator: op, Plan: &Plan{Resource: "r"}, Confirmed: "r"}
	if _, err := e.Run(context.Background(), "build.dns", req, nil, nil); err == nil ||
		err.Error() != "build.dns is interrupted; it changes things, so re-running it takes an explicit re-run with a reason" {
		t.Fatalf("got %v", err)
	}
	if _, err := e.Run(context.Background(), "build.reachable", Request{Operator: op}, nil, nil); err != nil {
		t.Fatal(err)
	}
	record(t, e, rerun("build.dns", "verified the TTL was not changed"))
	if _, err := e.Run(context.Background(), "build.dns", req, nil, nil); err != nil {
		t.Fatal(err)
	}
	if check.runs != 1 || action.runs != 1 {
		t.Fatalf("runs: check %d, action %d; want 1 each", check.runs, action.runs)
	}
	e.Close()

	// A clean reopen finds nothing running and records nothing.
	n := len(journalLines(t, cfg.Journal))
	e2, notes := openEngine(t, cfg, New())
	if len(notes) != 0 || len(journalLines(t, cfg.Journal)) != n {
		t.Fatalf("reopen: notes %v, lines %d -> %d", notes, n, len(journalLines(t, cfg.Journal)))
	}
	e2.Close()
}

func TestRunRecordsTheOutcome(t *testing.T) {
	boom := errors.New("dial tcp 10.0.0.5:6379: connection refused")
	cases := []struct {
		name      string
		exec      *fakeExec
		ctx       func() context.Context
		wantErr   string
		wantCheck bool // the error wraps ErrCheckFailed
		want      Status
		wantStore string // the error recorded in the step state
	}{
		{name: "pass", exec: &fakeExec{res: Result{OK: true, Summary: "PONG", Outputs: map[string]string{"run_id": "abc"}}}, want: Done},
		{name: "check fails", exec: &fakeExec{res: Result{Summary: "NOAUTH from the target"}},
			wantErr: "check failed: NOAUTH from the target", wantCheck: true, want: Failed, wantStore: "NOAUTH from the target"},
		{name: "executor error", exec: &fakeExec{err: boom},
			wantErr: boom.Error(), want: Failed, wantStore: boom.Error()},
		{name: "executor panics", exec: &fakeExec{panicMsg: "nil map"},
			wantErr: "internal error in build.reachable: nil map", want: Failed, wantStore: "internal error in build.reachable: nil map"},
		{name: "cancelled", exec: &fakeExec{}, ctx: func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, wantErr: "context canceled", want: Failed, wantStore: "cancelled by the operator: context canceled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(t)
			rb := New()
			if err := rb.Attach(map[StepID]Executor{"build.reachable": c.exec}); err != nil {
				t.Fatal(err)
			}
			e, _ := openEngine(t, cfg, rb)
			var hooked []EventType
			e.OnEvent(func(ev Event) { hooked = append(hooked, ev.Type) })
			ctx := context.Background()
			if c.ctx != nil {
				ctx = c.ctx()
			}
			_, err := e.Run(ctx, "build.reachable", Request{Operator: op}, nil, nil)
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || err.Error() != c.wantErr) {
				t.Fatalf("got error %v, want %q", err, c.wantErr)
			}
			if errors.Is(err, ErrCheckFailed) != c.wantCheck {
				t.Fatalf("errors.Is(err, ErrCheckFailed) = %v", !c.wantCheck)
			}
			st := e.State().Get("build.reachable")
			if st.Status != c.want || st.Error != c.wantStore {
				t.Fatalf("state %s %q, want %s %q", st.Status, st.Error, c.want, c.wantStore)
			}
			wantHooks := []EventType{EvStart, EvSucceed}
			if c.want == Failed {
				wantHooks[1] = EvFail
			}
			if !slices.Equal(hooked, wantHooks) {
				t.Fatalf("hook saw %v, want %v", hooked, wantHooks)
			}
		})
	}
}

func TestRunThrottlesProgressInTheJournal(t *testing.T) {
	cfg := testConfig(t)
	rb := New()
	ex := &fakeExec{res: Result{OK: true, Summary: "ok"}, progress: 5}
	if err := rb.Attach(map[StepID]Executor{"build.reachable": ex}); err != nil {
		t.Fatal(err)
	}
	e, _ := openEngine(t, cfg, rb)
	var seen []int64
	if _, err := e.Run(context.Background(), "build.reachable", Request{Operator: op}, nil, func(p Progress) { seen = append(seen, p.Done) }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []int64{1, 2, 3, 4, 5}) {
		t.Fatalf("the caller saw progress %v, want every report", seen)
	}
	rep, err := ReadJournal(cfg.Journal)
	if err != nil {
		t.Fatal(err)
	}
	var types []EventType
	for _, ev := range rep.Events {
		types = append(types, ev.Type)
	}
	if !slices.Equal(types, []EventType{EvStart, EvProgress, EvSucceed}) {
		t.Fatalf("journal has %v: progress should be recorded once per 10 s, not per report", types)
	}
}

func TestEngineRefusesStepsItCannotRun(t *testing.T) {
	e, _ := openEngine(t, testConfig(t), New())
	ctx := context.Background()
	for _, c := range []struct {
		err  error
		want string
	}{
		{func() error { _, err := e.Run(ctx, "build.nope", Request{Operator: op}, nil, nil); return err }(), `no step "build.nope" in the runbook`},
		{func() error { _, err := e.Run(ctx, "build.reachable", Request{Operator: op}, nil, nil); return err }(), "build.reachable has no executor in this build"},
		{func() error { _, err := e.Plan(ctx, "migrate.strategy", e.Env(op, nil, nil)); return err }(), "migrate.strategy is a decision step: it has no plan"},
		{func() error { _, err := e.Plan(ctx, "build.nope", e.Env(op, nil, nil)); return err }(), `no step "build.nope" in the runbook`},
		{func() error { _, err := e.Verify(ctx, "inventory.upgrades", e.Env(op, nil, nil)); return err }(), "inventory.upgrades cannot be verified"},
	} {
		if c.err == nil || c.err.Error() != c.want {
			t.Errorf("got %v, want %q", c.err, c.want)
		}
	}
	if fi, err := os.Stat(e.Config.Journal); err != nil || fi.Size() != 0 {
		t.Fatalf("refused runs wrote to the journal (%v)", err)
	}
}
