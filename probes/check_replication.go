package probes

import (
	"context"
	"fmt"
	"strings"

	"github.com/cutover/cutover/runbook"
)

// maxReplicaLag is the most seconds since a replica's last ack that still
// counts as keeping up (replicas ack every second).
const maxReplicaLag = 5

var replicationCheck = check{
	summary: "Read the primary's replication section: replicas connected and online, lag bounded; each configured replica reports its link up.",
	calls: func(cfg *runbook.Config) []string {
		calls := []string{"INFO replication on the target's primary"}
		if cfg.Target.Kind == "sentinel" {
			calls = append([]string{"SENTINEL GET-MASTER-ADDR-BY-NAME " + cfg.Target.Sentinel.Master}, calls...)
		}
		for _, r := range cfg.Target.Replicas {
			calls = append(calls, "INFO replication on "+r)
		}
		return calls
	},
	run: func(ctx context.Context, env *runbook.Env, _ func(runbook.Progress)) runbook.Result {
		cfg := env.Config
		var p proof
		c, addr, err := primaryClient(ctx, cfg, "check")
		if err != nil {
			p.row("primary", err.Error(), "found", false)
			return p.done("")
		}
		defer c.Close()
		in, err := infoOf(ctx, c, "replication")
		if err != nil {
			p.fail("INFO replication on "+addr, err, "an answer")
			return p.done("")
		}
		p.row("role of "+addr, in.Role, "master", in.IsPrimary())
		p.row("connected_slaves", fmt.Sprint(in.ConnectedSlaves), "at least 1", in.ConnectedSlaves >= 1)
		for _, s := range in.Slaves {
			p.row("replica "+s.Addr(), fmt.Sprintf("%s, lag %d s, %s behind", s.State, s.Lag, Bytes(float64(in.MasterReplOffset-s.Offset))),
				fmt.Sprintf("online, lag <= %d s", maxReplicaLag), s.State == "online" && s.Lag <= maxReplicaLag)
		}
		for _, r := range cfg.Target.Replicas {
			p.replicaLink(ctx, cfg, r)
		}
		return p.done(fmt.Sprintf("%d replica(s) online and keeping up with %s", len(in.Slaves), addr))
	},
}

// replicaLink checks a configured replica from its own side.
func (p *proof) replicaLink(ctx context.Context, cfg *runbook.Config, rawURL string) {
	ep := cfg.Target.Endpoint
	ep.URL = rawURL
	c := Client(ep, "check", ConfigDir(cfg.Dir))
	defer c.Close()
	name := "configured replica " + hostPort(rawURL)
	in, err := infoOf(ctx, c, "replication")
	if err != nil {
		p.fail(name, err, "role slave, link up")
		return
	}
	v := fmt.Sprintf("role %s", in.Role)
	if in.Role == "slave" {
		v += fmt.Sprintf(", master %s:%d link %s", in.MasterHost, in.MasterPort, in.MasterLinkStatus)
	}
	p.row(name, strings.TrimSpace(v), "role slave, link up", in.Role == "slave" && in.MasterLinkStatus == "up")
}
