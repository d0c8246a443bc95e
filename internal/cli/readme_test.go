package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/cutover/cutover/runbook"
)

// The README's runbook table is `cutover plan --table`; this keeps it so.
func TestReadmeRunbookTableIsCurrent(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	_, rest, ok := strings.Cut(readme, "<!-- runbook-table:start")
	if !ok {
		t.Fatal("README.md has no runbook-table:start marker")
	}
	_, rest, _ = strings.Cut(rest, "-->\n")
	table, _, ok := strings.Cut(rest, "<!-- runbook-table:end -->")
	if !ok {
		t.Fatal("README.md has no runbook-table:end marker")
	}
	if want := runbookTable(runbook.New()); table != want {
		t.Fatalf("README.md's runbook table is out of date; replace it with the output of `cutover plan --table`:\n%s", want)
	}
}
