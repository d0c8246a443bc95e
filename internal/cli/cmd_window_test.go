package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/runbook"
)

func TestRehearsalImportPlanAndHandoff(t *testing.T) {
	e := newCLIEnv(t)
	// A rehearsal's journal: discover took 4s, the auth decision 30s.
	rehearsal := newCLIEnv(t)
	rehearsal.seed(
		runbook.Event{Type: runbook.EvSkip, Step: runbook.InventoryDiscover, Reason: "rehearsal"},
		runbook.Event{Type: runbook.EvDecide, Step: runbook.InventoryAuth, Choice: "acl", Reason: "one user per app"},
	)
	start := time.Now().UTC().Add(-10 * time.Minute).Format(time.RFC3339)
	f, err := os.OpenFile(e.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("window:\n  start: " + start + "\n  length: 2h\n  abort:\n    - target.errorstat_NOSCRIPT > 0\n")
	f.Close()

	empty := filepath.Join(t.TempDir(), "empty.journal")
	os.WriteFile(empty, nil, 0o600)
	if code, _, errOut := e.raw("rehearsal", "import", "--config", e.config, empty); code != 2 || !strings.Contains(errOut, "records no finished step") {
		t.Fatalf("an empty rehearsal: exit %d, %s", code, errOut)
	}
	code, out, errOut := e.raw("rehearsal", "import", "--config", e.config, rehearsal.journal)
	if code != 0 || !strings.Contains(out, "written to "+filepath.Join(e.dir, "cutover.rehearsal.json")) {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "inventory.auth") {
		t.Fatalf("the import does not list the decision's duration:\n%s", out)
	}
	plan := e.expect(0, "== The change window", "plan")
	for _, want := range []string{"rollback deadline", "projected end", "budget: "} {
		if !strings.Contains(plan, want) {
			t.Fatalf("plan lacks %q:\n%s", want, plan)
		}
	}

	e.seed(runbook.Event{Type: runbook.EvSkip, Step: runbook.InventoryDiscover, Reason: "rehearsed"}, runbook.Event{Type: runbook.EvDecide, Step: runbook.InventoryTLS, Choice: "tls", Reason: "the source is TLS, token " + targetSecret})
	md := e.expect(0, "# Handoff", "handoff")
	for _, want := range []string{
		"## Where the runbook stands", "Next: `inventory.auth`",
		"target.errorstat_NOSCRIPT > 0: unknown now (the target does not answer",
		"| inventory.tls | tls |", "rollback deadline", "nothing to roll back",
	} {
		if !strings.Contains(md, want) {
			t.Fatalf("handoff lacks %q:\n%s", want, md)
		}
	}
	file := filepath.Join(e.dir, "handoff.md")
	e.expect(0, "handoff written to", "handoff", "-o", file)
	if b, err := os.ReadFile(file); err != nil || !strings.Contains(string(b), "## What is left") {
		t.Fatalf("handoff file: %v\n%s", err, b)
	}
}
