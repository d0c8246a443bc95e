package drill

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/dnsswap"
)

// dnsAfter checks where dns.record leads after the drill: clients that use
// the plain endpoint (not Sentinel) keep going there, and if it is the old
// primary they now reach a replica and get READONLY on every write (not
// so for cluster clients, which follow MOVED: moveBack is "" then). It
// returns a warning saying what the operator must do, or "".
func dnsAfter(ctx context.Context, cfg *runbook.Config, old, newPrimary, moveBack string, out map[string]string, logf func(string, ...any)) string {
	if cfg.DNS.Record == "" || moveBack == "" {
		return ""
	}
	ips, err := dnsswap.Lookup(ctx, cfg.DNS, cfg.DNS.Record)
	if err != nil {
		logf("drill: could not check where %s leads: %v", cfg.DNS.Record, err)
		return ""
	}
	out["dns_record_ips"] = strings.Join(ips, ",")
	oldHost, _, _ := net.SplitHostPort(old)
	newHost, _, _ := net.SplitHostPort(newPrimary)
	if oldHost == newHost || !slices.Contains(ips, oldHost) {
		out[runbook.FailoverDNSPointsAtReplica.Name] = "false"
		return ""
	}
	out[runbook.FailoverDNSPointsAtReplica.Name] = "true"
	return fmt.Sprintf("%s resolves to %s, the old primary, now a replica: clients on the plain endpoint get READONLY on writes. "+
		"To re-point it, set dns.target_value to a name of the new primary %s, record a re-run of cutover.cname with a reason and run it; "+
		"or move the primary back with %s",
		cfg.DNS.Record, oldHost, newPrimary, moveBack)
}
