// Package dnsswap moves the name clients use: build.dns lowers the CNAME's
// TTL ahead of time, cutover.cname points it at the target and
// rollback.cname back at the source, each through Route53 with a guard on
// the current value, a wait for INSYNC, and a proof that connecting
// through the name reaches the right server (its run_id).
package dnsswap

import "github.com/cutover/cutover/runbook"

// Executors are this package's steps by ID.
func Executors() map[runbook.StepID]runbook.Executor {
	return map[runbook.StepID]runbook.Executor{
		runbook.BuildDNS:      &LowerTTL{},
		runbook.CutoverCname:  &Swap{},
		runbook.RollbackCname: &Swap{Rollback: true},
	}
}
