package cli

import (
	"testing"

	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/live"
)

// A check or action without an executor would only show when an operator
// runs it; this build must have one for every such step.
func TestEveryCheckAndActionHasAnExecutor(t *testing.T) {
	rb := runbook.New()
	if err := rb.Attach(executors(live.NewService())); err != nil {
		t.Fatal(err)
	}
	if ids := rb.Unattached(); len(ids) > 0 {
		t.Fatalf("no executor for %v", ids)
	}
}
