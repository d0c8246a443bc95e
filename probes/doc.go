// Package probes observes Redis servers and AWS without changing them:
// connections, the INFO parser and poller, derived rates, the CloudWatch
// mapping and reads, and the read-only checks of the runbook.
package probes
