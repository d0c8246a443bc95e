package cli

import (
	"maps"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps"
	"github.com/cutover/cutover/steps/live"
)

// executors are the checks and actions of this build, by step ID; svc is
// the process's live sync, which outlives the step that starts it.
func executors(svc *live.Service) map[runbook.StepID]runbook.Executor {
	all := probes.Checks()
	maps.Copy(all, steps.Actions(svc))
	return all
}
