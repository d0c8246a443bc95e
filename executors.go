package main

import "github.com/cutover/cutover/runbook"

// executors are the checks and actions of this build, by step ID.
func executors() map[string]runbook.Executor {
	return map[string]runbook.Executor{}
}
