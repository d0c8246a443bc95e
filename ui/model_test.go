package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// clock is the fixed time of every test screen.
var clock = time.Date(2026, 11, 25, 2, 14, 5, 0, time.UTC)

// infoPoller replays INFO text captured from a real redis-server, moving
// its counters forward so rates are non-zero.
type infoPoller struct {
	text string
	addr string
	n    int
	err  error
}

func (p *infoPoller) Poll(ctx context.Context) probes.Sample {
	if p.err != nil {
		return probes.Sample{Time: clock, Err: p.err}
	}
	p.n++
	in := probes.ParseInfo(p.text)
	in.TotalCommandsProcessed += int64(p.n * 1500)
	in.KeyspaceHits += int64(p.n * 900)
	in.KeyspaceMisses += int64(p.n * 100)
	in.UsedMemory += int64(p.n%5) * 1 << 20
	return probes.Sample{Time: clock.Add(time.Duration(p.n) * time.Second), Addr: p.addr, Info: in, Latency: 300 * time.Microsecond}
}

func (p *infoPoller) Close() error { return nil }

func captured(t testing.TB, name string) string {
	b, err := os.ReadFile(filepath.Join("..", "probes", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fakeCheck and fakeAction stand in for executors: the console's flow is
// under test here, not the checks (probes and steps test those against
// real servers).
type fakeExec struct {
	resource string
	res      runbook.Result
	block    chan struct{} // when set, Run waits for it or for cancel
}

func (f *fakeExec) Plan(context.Context, *runbook.Env) (runbook.Plan, error) {
	return runbook.Plan{Summary: "UPSERT the record", Resource: f.resource,
		Calls: []string{"route53:ChangeResourceRecordSets UPSERT " + f.resource}}, nil
}

func (f *fakeExec) Run(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	report(runbook.Progress{Done: 50, Total: 100, Unit: "keys"})
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return runbook.Result{}, ctx.Err()
		}
	}
	return f.res, nil
}

func (f *fakeExec) Verify(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	return f.res, nil
}

// testConfig is the lab-like config every console test runs with, and
// extra YAML appended to it.
func testConfig(t testing.TB, extra string) *runbook.Config {
	dir := t.TempDir()
	for _, f := range []string{"src.pass", "tgt.pass"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("s3cret-"+f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	yaml := `operator: alice
source: {kind: redis, url: "redis://127.0.10.1:6379", password_file: src.pass}
target:
  kind: sentinel
  url: redis://127.0.10.2:6379
  password_file: tgt.pass
  sentinel: {master: mymaster, addrs: ["127.0.10.4:26379"]}
dns: {hosted_zone_id: Z0LAB, record: cache.lab.internal, source_value: source.lab.internal, target_value: target.lab.internal}
` + extra
	path := filepath.Join(dir, "cutover.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := runbook.LoadConfig(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

type fixture struct {
	inbox  chan tea.Msg
	m      *Model
	eng    *runbook.Engine
	action *fakeExec
}

func newFixture(t testing.TB, w, h int) *fixture { return newFixtureWith(t, w, h, "") }

// newFixtureWith runs the console with extra YAML in its config.
func newFixtureWith(t testing.TB, w, h int, extra string) *fixture {
	cfg := testConfig(t, extra)
	rb := runbook.New()
	ok := runbook.Result{OK: true, Summary: "PING answered with auth; unauthenticated PING refused",
		Evidence: []runbook.Evidence{{Name: "PING with auth", Value: "PONG", Want: "PONG", OK: true}}}
	action := &fakeExec{resource: "cache.lab.internal", res: runbook.Result{OK: true, Summary: "record swapped"}}
	if err := rb.Attach(map[runbook.StepID]runbook.Executor{"build.reachable": &fakeExec{res: ok}, "build.dns": action, "cutover.cname": action, "rollback.cname": action}); err != nil {
		t.Fatal(err)
	}
	eng, _, err := runbook.Open(cfg, rb, "alice")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	src := &infoPoller{text: captured(t, "info-everything-primary.txt"), addr: "127.0.10.1:6379"}
	tgt := &infoPoller{text: captured(t, "info-primary-with-replica.txt"), addr: "127.0.10.2:6379"}
	m := New(context.Background(), Options{Engine: eng, Operator: "alice", Now: func() time.Time { return clock },
		Source: NewPane("source", src, time.Second), Target: NewPane("target", tgt, time.Second),
		Mapping: NewMapping(probes.Mapping{}, nil)})
	t.Cleanup(m.Close) // before the engine closes: a run still going records its end
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	// Three polls each, so rates and sparklines have data.
	for i := 0; i < 3; i++ {
		for _, p := range []*Pane{m.src, m.tgt} {
			m.Update(p.poll(m.work)())
		}
	}
	return &fixture{inbox: make(chan tea.Msg, 256), m: m, eng: eng, action: action}
}

// press sends keys; a string of several runes is typed one rune at a time.
func (f *fixture) press(t testing.TB, keys ...string) {
	t.Helper()
	for _, k := range keys {
		f.send(t, keyMsg(k))
	}
}

func (f *fixture) typeText(t testing.TB, s string) {
	for _, r := range s {
		f.send(t, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// send delivers a message, then every message its commands produce
// until the model has been quiet for a moment. Commands run in goroutines
// feeding one inbox, so a slow one (a poll timer, a running step) never
// loses its message.
func (f *fixture) send(t testing.TB, msg tea.Msg) {
	t.Helper()
	f.deliver(msg)
	f.settle(t, func() bool { return false }, 100*time.Millisecond)
}

func (f *fixture) deliver(msg tea.Msg) {
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			f.spawn(c)
		}
		return
	}
	_, cmd := f.m.Update(msg)
	f.spawn(cmd)
}

func (f *fixture) spawn(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		if m := cmd(); m != nil {
			f.inbox <- m
		}
	}()
}

// settle handles inbox messages until cond holds or nothing arrives for
// quiet; it fails the test after 5 s.
func (f *fixture) settle(t testing.TB, cond func() bool, quiet time.Duration) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case m := <-f.inbox:
			f.deliver(m)
		case <-time.After(quiet):
			return
		case <-deadline:
			t.Fatalf("the model did not settle in 5 s; screen:\n%s", f.screen())
		}
	}
}

func (f *fixture) screen() string { return ansi.Strip(f.m.render()) }

func (f *fixture) focus(id runbook.StepID) { f.m.focus(id) }

func TestConfirmRefusesWrongText(t *testing.T) {
	f := newFixture(t, 120, 40)
	f.focus("build.dns")
	f.press(t, "enter")
	if f.m.dialog == nil {
		t.Fatalf("no confirm dialog; screen:\n%s", f.screen())
	}
	if !strings.Contains(f.screen(), "route53:ChangeResourceRecordSets UPSERT cache.lab.internal") {
		t.Fatalf("the dialog does not show the plan:\n%s", f.screen())
	}
	f.typeText(t, "cache.lab.interna")
	f.press(t, "enter")
	if f.m.dialog == nil || !strings.Contains(f.screen(), "does not match") {
		t.Fatalf("wrong text was not refused:\n%s", f.screen())
	}
	if got := f.eng.State().Get("build.dns").Status; got != runbook.Pending {
		t.Fatalf("build.dns is %s after a refused confirmation", got)
	}
	f.typeText(t, "l")
	f.press(t, "enter")
	waitFor(t, func() bool { return f.eng.State().Get("build.dns").Status == runbook.Done }, f)
	if ev := lastEvent(t, f.eng, "build.dns", runbook.EvStart); ev.Confirmed != "cache.lab.internal" || ev.Operator != "alice" {
		t.Fatalf("start event = %+v", ev)
	}
}

func TestTwoPersonNeedsAnotherOperator(t *testing.T) {
	f := newFixture(t, 120, 40)
	for _, id := range []runbook.StepID{"build.dns", "migrate.parity", "migrate.dualwrite", "migrate.live", "cutover.gonogo"} {
		if _, err := f.eng.Record(runbook.Event{Type: runbook.EvSkip, Step: id, Operator: "alice", Reason: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	f.m.state = f.eng.State()
	f.focus("cutover.cname")
	f.press(t, "enter")
	f.typeText(t, "cache.lab.internal")
	f.press(t, "enter") // to the second operator field
	f.typeText(t, "alice")
	f.press(t, "enter")
	if f.m.dialog == nil || !strings.Contains(f.screen(), "someone other than alice") {
		t.Fatalf("the same operator was accepted as second:\n%s", f.screen())
	}
	for range 5 {
		f.press(t, "backspace")
	}
	f.typeText(t, "bob")
	f.press(t, "enter")
	waitFor(t, func() bool { return f.eng.State().Get("cutover.cname").Status == runbook.Done }, f)
	ev := lastEvent(t, f.eng, "cutover.cname", runbook.EvStart)
	if ev.Operator != "alice" || ev.Second != "bob" {
		t.Fatalf("start event operators = %q + %q", ev.Operator, ev.Second)
	}
	if !strings.Contains(f.screen(), "ROLLBACK AVAILABLE") {
		t.Fatalf("no rollback banner after the swap:\n%s", f.screen())
	}
	f.press(t, "b")
	if f.m.focused().ID != "rollback.cname" {
		t.Fatalf("b focused %s", f.m.focused().ID)
	}
}

func TestCheckRunsAndIsJournaled(t *testing.T) {
	f := newFixture(t, 120, 40)
	f.focus("build.reachable")
	f.press(t, "enter")
	waitFor(t, func() bool { return f.eng.State().Get("build.reachable").Status == runbook.Done }, f)
	if !strings.Contains(f.screen(), "PING answered with auth") {
		t.Fatalf("result not shown:\n%s", f.screen())
	}
}

func TestFocusMoves(t *testing.T) {
	f := newFixture(t, 120, 40)
	f.press(t, "down", "down")
	if got := f.m.focused().ID; got != "inventory.auth" {
		t.Fatalf("focused %s after two downs", got)
	}
	f.press(t, "up", "up", "up")
	if got := f.m.focused().ID; got != "inventory.discover" {
		t.Fatalf("focused %s at the top", got)
	}
	f.press(t, "G")
	if got := f.m.focused().ID; got != "rollback.cname" {
		t.Fatalf("G focused %s", got)
	}
}

func TestResizeAndMinimumSize(t *testing.T) {
	f := newFixture(t, 120, 40)
	f.m.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	if s := f.screen(); !strings.Contains(s, "needs at least 80x24") {
		t.Fatalf("below the minimum:\n%s", s)
	}
	for _, size := range [][2]int{{80, 24}, {100, 30}, {160, 48}, {200, 50}} {
		f.m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		lines := strings.Split(f.m.render(), "\n")
		if len(lines) > size[1] {
			t.Errorf("%dx%d: %d lines", size[0], size[1], len(lines))
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w > size[0] {
				t.Errorf("%dx%d: line %d is %d wide", size[0], size[1], i, w)
			}
		}
	}
}

func TestUnreachableEndpointShowsReason(t *testing.T) {
	f := newFixture(t, 160, 48)
	f.m.src.poller.(*infoPoller).err = errors.New("dial tcp 127.0.10.1:6379: connect: connection refused")
	f.m.Update(f.m.src.poll(f.m.work)())
	if s := f.screen(); !strings.Contains(s, "unreachable:") || !strings.Contains(s, "retrying") {
		t.Fatalf("no unreachable line:\n%s", s)
	}
	// The timeline says it once, and again when it answers.
	f.m.Update(f.m.src.poll(f.m.work)())
	f.m.src.poller.(*infoPoller).err = nil
	f.m.Update(f.m.src.poll(f.m.work)())
	var down, back int
	for _, l := range f.m.log.lines {
		if strings.HasPrefix(l.text, "source unreachable: ") {
			down++
		}
		if l.text == "source answers again at 127.0.10.1:6379" {
			back++
		}
	}
	if down != 1 || back != 1 {
		t.Fatalf("timeline has %d unreachable and %d answers-again lines", down, back)
	}
}

func TestQuitAsksWhileRunning(t *testing.T) {
	f := newFixture(t, 120, 40)
	f.action.block = make(chan struct{})
	f.focus("build.dns")
	f.press(t, "enter")
	f.typeText(t, "cache.lab.internal")
	f.press(t, "enter")
	f.press(t, "q")
	if f.m.dialog == nil || f.m.dialog.kind != dlgQuit {
		t.Fatalf("q while running did not ask:\n%s", f.screen())
	}
	f.press(t, "esc")
	close(f.action.block)
	waitFor(t, func() bool { return f.eng.State().Get("build.dns").Status == runbook.Done }, f)
}

func waitFor(t *testing.T, cond func() bool, f *fixture) {
	t.Helper()
	f.settle(t, cond, 5*time.Second)
	if !cond() {
		t.Fatalf("condition not met; screen:\n%s", f.screen())
	}
}

func lastEvent(t *testing.T, eng *runbook.Engine, step runbook.StepID, typ runbook.EventType) runbook.Event {
	t.Helper()
	rep, err := runbook.ReadJournal(eng.Config.Journal)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(rep.Events) - 1; i >= 0; i-- {
		if ev := rep.Events[i]; ev.Step == step && ev.Type == typ {
			return ev
		}
	}
	t.Fatalf("no %s event for %s in the journal", typ, step)
	return runbook.Event{}
}

func TestTickRunsTheHookFirst(t *testing.T) {
	for _, fail := range []bool{false, true} {
		f := newFixture(t, 120, 40)
		calls := 0
		f.m.hooks = map[runbook.StepID]Hook{"inventory.upgrades": {Hint: "this restarts the app", Do: func(context.Context) error {
			calls++
			if fail {
				return errors.New("control URL refused")
			}
			return nil
		}}}
		if _, err := f.eng.Record(runbook.Event{Type: runbook.EvSkip, Step: "inventory.discover", Operator: "alice", Reason: "test"}); err != nil {
			t.Fatal(err)
		}
		f.m.state = f.eng.State()
		f.focus("inventory.upgrades")
		f.press(t, "enter")
		if !strings.Contains(f.screen(), "this restarts the app") {
			t.Fatalf("the hint is not in the tick dialog:\n%s", f.screen())
		}
		f.typeText(t, "ops team patches monthly")
		f.press(t, "enter")
		got := f.eng.State().Get("inventory.upgrades").Status
		if calls != 1 || (got == runbook.Done) == fail {
			t.Fatalf("fail=%v: hook called %d times, step %s", fail, calls, got)
		}
		if fail && !strings.Contains(f.screen(), "control URL refused; not ticked") {
			t.Fatalf("the hook's failure is not shown:\n%s", f.screen())
		}
	}
}

func TestReplicaBannerAfterDrill(t *testing.T) {
	f := newFixture(t, 120, 40)
	f.m.state.Facts[runbook.FailoverDNSPointsAtReplica] = "true"
	st := f.m.state.Steps["verify.failover"]
	st.At = clock
	f.m.state.Steps["verify.failover"] = st
	if !strings.Contains(f.screen(), "CNAME LEADS TO A REPLICA") {
		t.Fatalf("no banner:\n%s", f.screen())
	}
	swap := f.m.state.Steps["cutover.cname"]
	swap.At = clock.Add(time.Minute) // re-pointed after the drill
	f.m.state.Steps["cutover.cname"] = swap
	if strings.Contains(f.screen(), "CNAME LEADS TO A REPLICA") {
		t.Fatalf("banner after the swap was re-run:\n%s", f.screen())
	}
}

func TestDecideDialogPreselectsTheSuggestion(t *testing.T) {
	f := newFixture(t, 120, 40)
	// inventory.discover's facts, as a run would record them.
	for _, ev := range []runbook.Event{
		{Type: runbook.EvStart, Step: "inventory.discover", Operator: "alice"},
		{Type: runbook.EvSucceed, Step: "inventory.discover", Operator: "alice", Result: &runbook.Result{OK: true, Summary: "found",
			Outputs: map[string]string{"transit_encryption": "true"}}},
	} {
		if _, err := f.eng.Record(ev); err != nil {
			t.Fatal(err)
		}
	}
	f.m.state = f.eng.State()
	f.focus("inventory.tls")
	f.press(t, "enter")
	if f.m.dialog == nil || f.m.dialog.fields[0].value() != "tls" || !strings.Contains(f.screen(), "Suggested: tls") {
		t.Fatalf("the suggestion is not preselected:\n%s", f.screen())
	}
	f.press(t, "tab")
	f.typeText(t, "the clients already speak TLS")
	f.press(t, "enter")
	if got := f.eng.State().Get("inventory.tls"); got.Choice != "tls" || got.Reason != "the clients already speak TLS" {
		t.Fatalf("recorded %+v", got)
	}
}

func TestGrouped(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1250000: "1,250,000", -45000: "-45,000"} {
		if got := grouped(n); got != want {
			t.Errorf("grouped(%d) = %q, want %q", n, got, want)
		}
	}
}
