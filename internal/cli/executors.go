package cli

import (
	"maps"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps"
)

// executors are the checks and actions of this build, by step ID.
func executors() map[runbook.StepID]runbook.Executor {
	all := probes.Checks()
	maps.Copy(all, steps.Actions())
	return all
}
