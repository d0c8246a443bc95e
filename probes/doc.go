// Package probes observes Redis servers and AWS without changing them:
// connections, the INFO parser and poller, derived rates, the CloudWatch
// mapping and reads, and the read-only checks of the runbook.
//
//   - Client, FailoverClient, SentinelClient: go-redis clients for the
//     configured endpoints (timeouts, TLS, auth, a cutover-<purpose> client
//     name). Their errors are *EndpointError (redis.Nil excepted): compare
//     with errors.Is/As, and show them with Explain, one line naming the
//     setting to fix.
//   - ParseInfo, Derive, History: INFO into typed fields, per-second rates
//     between samples, and the last N samples for the panes' sparklines.
//   - SourcePoller, TargetPoller: exactly one INFO per Poll, for a tea.Cmd;
//     a sentinel target's poller follows the primary.
//   - Mapping and CloudWatch: the ElastiCache metrics (a replication group
//     node's or a serverless cache's) beside the INFO fields that replace
//     them.
//   - Checks: the executors of the read-only runbook steps.
package probes
