// Package steps gathers the actions: everything in the runbook that
// changes the world. Each subpackage holds one job and its executors.
package steps

import (
	"maps"

	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/backup"
	"github.com/cutover/cutover/steps/dnsswap"
	"github.com/cutover/cutover/steps/download"
	"github.com/cutover/cutover/steps/drill"
	"github.com/cutover/cutover/steps/export"
	"github.com/cutover/cutover/steps/live"
	"github.com/cutover/cutover/steps/load"
	"github.com/cutover/cutover/steps/parity"
	"github.com/cutover/cutover/steps/snapshot"
)

// Actions are the executors of every action step, by step ID; the live
// strategy's steps share the process's live sync service.
func Actions(svc *live.Service) map[runbook.StepID]runbook.Executor {
	all := map[runbook.StepID]runbook.Executor{}
	for _, m := range []map[runbook.StepID]runbook.Executor{
		backup.Executors(),
		dnsswap.Executors(),
		download.Executors(),
		drill.Executors(),
		export.Executors(),
		load.Executors(),
		parity.Executors(),
		snapshot.Executors(),
		live.Executors(svc), // after dnsswap: its cutover.cname wraps the swap
	} {
		maps.Copy(all, m)
	}
	return all
}
