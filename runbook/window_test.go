package runbook

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParsePredicate(t *testing.T) {
	rb := New()
	cases := []struct {
		text string
		want Predicate
		err  string
	}{
		{text: "target.errorstat_NOSCRIPT > 0", want: Predicate{Metric: Metric{"target", "errorstat_NOSCRIPT"}, Op: ">"}},
		{text: "target.hit_rate < baseline - 0.10 for 2m",
			want: Predicate{Metric: Metric{"target", "hit_rate"}, Op: "<", Baseline: true, Value: -0.10, For: 2 * time.Minute}},
		{text: "target.latency_ms>=baseline+5", want: Predicate{Metric: Metric{"target", "latency_ms"}, Op: ">=", Baseline: true, Value: 5}},
		{text: "source.connected_clients > 5 after cutover.cname + 10m",
			want: Predicate{Metric: Metric{"source", "connected_clients"}, Op: ">", Value: 5, After: CutoverCname, Delay: 10 * time.Minute}},
		{text: "parity.missing_fraction > 0.001", want: Predicate{Metric: Metric{"parity", "missing_fraction"}, Op: ">", Value: 0.001}},
		{text: "target.used_memory != -1 after cutover.watch", want: Predicate{Metric: Metric{"target", "used_memory"}, Op: "!=", Value: -1, After: CutoverWatch}},
		{text: "target.hit_rate < 0.9 for soon", err: `for "soon" is not a duration`},
		{text: "target.keys < baseline", err: "the baseline has hit_rate and latency_ms only"},
		{text: "parity.keys > 0", err: "parity.keys is not a parity figure"},
		{text: "replica.keys > 0", err: `"replica" is not a side`},
		{text: "target.keys between 1 and 2", err: "is not a criterion"},
		{text: "target.keys > 1 after verify.nothing", err: "there is no step verify.nothing"},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			got, err := ParsePredicate(c.text, rb)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want an error with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.want.Text = c.text
			if got != c.want {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestPredicateThresholdAndArming(t *testing.T) {
	p, _ := ParsePredicate("target.hit_rate < baseline - 0.10", nil)
	if _, ok := p.Threshold(Facts{}); ok {
		t.Fatal("a baseline criterion has a threshold before inventory.baseline ran")
	}
	th, ok := p.Threshold(Facts{BaselineHitRate: "0.95"})
	if !ok || th < 0.8499 || th > 0.8501 || !p.Holds(0.80, th) || p.Holds(0.90, th) {
		t.Fatalf("threshold %v %v", th, ok)
	}

	s := fold(t, "redis", "standalone", cnameReady)
	if _, armed := p.ArmedAt(s); armed {
		t.Fatal("armed before the swap")
	}
	s = fold(t, "redis", "standalone", join(cnameReady, ranGated(CutoverCname, "bob")))
	at, armed := p.ArmedAt(s)
	if !armed || !at.Equal(s.Get(CutoverCname).At) {
		t.Fatalf("after the swap: %v %v", at, armed)
	}
	late, _ := ParsePredicate("source.connected_clients > 5 after cutover.cname + 10m", nil)
	if at, _ := late.ArmedAt(s); !at.Equal(s.Get(CutoverCname).At.Add(10 * time.Minute)) {
		t.Fatalf("delayed criterion armed at %v", at)
	}
	s = fold(t, "redis", "standalone", join(cnameReady, ranGated(CutoverCname, "bob"), ranGated(RollbackCname, "bob")))
	if _, armed := p.ArmedAt(s); armed {
		t.Fatal("still armed after the rollback")
	}
}

func TestRehearsalBudgetsAndProjection(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	events := []Event{
		{Type: EvStart, Step: InventoryDiscover, Time: at(0)},
		{Type: EvProgress, Step: InventoryDiscover, Time: at(1)},
		{Type: EvSucceed, Step: InventoryDiscover, Time: at(4)},
		{Type: EvDecide, Step: InventoryAuth, Time: at(34)},
		{Type: EvStart, Step: BuildReachable, Time: at(40)},
		{Type: EvFail, Step: BuildReachable, Time: at(41)},
		{Type: EvStart, Step: BuildReachable, Time: at(100)},
		{Type: EvSucceed, Step: BuildReachable, Time: at(102)},
		{Type: EvTick, Step: InventoryUpgrades, Time: at(102 + 3600)}, // idle for an hour
	}
	r := RehearsalFrom(events)
	want := map[StepID]float64{InventoryDiscover: 4, InventoryAuth: 30, BuildReachable: 2, InventoryUpgrades: operatorCap.Seconds()}
	for id, w := range want {
		if r.Steps[id] != w {
			t.Errorf("%s: %v s, want %v", id, r.Steps[id], w)
		}
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := WriteRehearsal(path, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadRehearsal(path)
	if err != nil || back.Steps[InventoryAuth] != 30 {
		t.Fatalf("read back %+v %v", back, err)
	}
	if none, err := ReadRehearsal(path + ".missing"); none != nil || err != nil {
		t.Fatalf("a missing rehearsal: %v %v", none, err)
	}
	b := back.Budgets(0.5)
	if b[InventoryAuth] != 45*time.Second || b[BuildReachable] != 3*time.Second {
		t.Fatalf("budgets %v", b)
	}

	// discover ran; reachable is running for 2s of its 3s budget.
	s := fold(t, "redis", "standalone", join(discovered, []Event{start(BuildReachable)}))
	now := s.Get(BuildReachable).Started.Add(2 * time.Second)
	p := Project(s, b, now)
	if p.Left != 45*time.Second+time.Second+b[InventoryUpgrades] {
		t.Fatalf("left %s, unbudgeted %v", p.Left, p.Unbudgeted)
	}
	for _, id := range p.Unbudgeted {
		if id == RollbackCname || id == VerifyDecommission || id == InventoryDiscover {
			t.Fatalf("%s counted in the projection", id)
		}
	}
	if _, _, over := Overrun(s, b, BuildReachable, now); over {
		t.Fatal("overrun within the budget")
	}
	if el, bu, over := Overrun(s, b, BuildReachable, now.Add(2*time.Second)); !over || el != 4*time.Second || bu != 3*time.Second {
		t.Fatalf("overrun %s/%s %v", el, bu, over)
	}
	w := Window{End: Time{t0.Add(time.Hour)}}
	if d := w.Deadline(b); !d.Equal(t0.Add(45 * time.Minute)) {
		t.Fatalf("deadline without a rehearsed rollback %s", d)
	}
	b[RollbackCname] = 5 * time.Minute
	if d := w.Deadline(b); !d.Equal(t0.Add(55 * time.Minute)) {
		t.Fatalf("deadline with a rehearsed rollback %s", d)
	}
}
