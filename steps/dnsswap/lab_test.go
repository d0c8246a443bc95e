package dnsswap

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/cutover/cutover/lab"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/runbook"
)

// TestAgainstTheLab runs build.dns, cutover.cname and rollback.cname on the
// practice lab through the config it writes, and watches its application
// follow the name after each rolling restart.
func TestAgainstTheLab(t *testing.T) {
	labtest.AWSEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	l, err := lab.Start(ctx, lab.Options{Dir: t.TempDir(), Keys: 1000})
	must(t, err)
	t.Cleanup(func() { l.Close() })
	cfg, err := runbook.LoadConfig(l.ConfigPath, os.Getenv)
	must(t, err)
	st := runbook.NewState(runbook.New(), cfg.Source.Kind, cfg.Target.Kind)
	env := &runbook.Env{Config: cfg, State: &st, Operator: "alice", Log: t.Logf}
	step := func(id runbook.StepID, appOn string) {
		t.Helper()
		res, err := Executors()[id].Run(ctx, env, func(runbook.Progress) {})
		if err != nil || !res.OK {
			t.Fatalf("%s: %v %+v", id, err, res)
		}
		t.Logf("%s: %s", id, res.Summary)
		st.Facts.Record(id, res.Outputs)
		if appOn == "" {
			return
		}
		l.App.Restart()
		deadline := time.Now().Add(10 * time.Second)
		for s := l.App.Status(); s.LastAddr != appOn || s.Conns[appOn] == 0; s = l.App.Status() {
			if time.Now().After(deadline) {
				t.Fatalf("after %s and a restart the application is on %s (%v), not %s", id, s.LastAddr, s.Conns, appOn)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	step("build.dns", "")
	if st.Facts[runbook.DNSOldTTL] != "300" {
		t.Fatalf("the lab's CNAME TTL was %s, not 300", st.Facts[runbook.DNSOldTTL])
	}
	step("cutover.cname", l.Target.Addr())
	step("rollback.cname", l.Source.Addr())
}
