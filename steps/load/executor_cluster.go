package load

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/rdb"
)

// clusterOf is how the load reaches the nodes of a cluster target: the
// target's credentials and TLS, each node by its address.
func clusterOf(cfg *runbook.Config, seed string) Cluster {
	return Cluster{Seed: seed, Client: func(addr string) *redis.Client { return control(cfg, addr) }}
}

func (e *Executor) planCluster(seed string, files []string, s settings) runbook.Plan {
	p := runbook.Plan{
		Summary:  fmt.Sprintf("Load %s into the cluster at %s, each key to the primary serving its slot", strings.Join(files, ", "), seed),
		Resource: seed,
	}
	for _, f := range files {
		p.Calls = append(p.Calls, "read "+f+" to the end: structure and CRC64; nothing is written unless it verifies")
	}
	p.Calls = append(p.Calls,
		"CLUSTER SLOTS on "+seed+": the primary serving each slot; stop if a slot has none",
		"on each primary: INFO (engine version, role, keys) and CLUSTER NODES (slots migrating or importing, reported)",
		"stop if a file holds keys outside db0 (a cluster has only db0)")
	switch s.existing {
	case Refuse:
		p.Calls = append(p.Calls, "stop if the cluster already holds keys")
	case Flush:
		p.Calls = append(p.Calls, "FLUSHALL ASYNC on each primary if the cluster holds keys")
		p.Warnings = append(p.Warnings, "existing=flush deletes every key of the cluster before loading.")
	}
	restore := "RESTORE key expiry payload ABSTTL"
	if s.existing == Replace {
		restore = "RESTORE key expiry payload REPLACE ABSTTL"
	}
	p.Calls = append(p.Calls,
		fmt.Sprintf("all files at once, each key routed by its hash slot (CRC16 of the key or its {hash tag}): %s [IDLETIME|FREQ] over %d connections per primary, the payload stamped with the lowest RDB version among the primaries; keys already expired are skipped", restore, cmp.Or(e.Conns, clusterConns)),
		"a MOVED reply: the key sent to the node named, the slot map read again from it; an ASK reply: ASKING then the key's commands on the node named",
		"keys whose type the target's version cannot RESTORE: DEL, then RPUSH/SADD/ZADD/HSET/XADD/XGROUP in batches of 1000, then PEXPIREAT",
		"FUNCTION LOAD on every primary for each function library in the files")
	if s.resumed {
		p.Warnings = append(p.Warnings, resumedWarning)
	}
	return p
}

func (e *Executor) runCluster(ctx context.Context, env *runbook.Env, seed string, files []string, sums []*rdb.Summary, s settings, report func(runbook.Progress)) (runbook.Result, error) {
	o := Options{Existing: s.existing, Conns: e.Conns, Logf: env.Logf, Progress: func(p Progress) {
		report(runbook.Progress{Done: p.Bytes, Total: p.TotalBytes, Unit: "bytes", Message: progressLine(p)})
	}}
	env.Logf("loading %s into the cluster at %s", strings.Join(files, ", "), seed)
	st, err := LoadCluster(ctx, clusterOf(env.Config, seed), files, sums, o)
	if err != nil {
		return runbook.Result{}, err
	}
	env.Logf("%d keys in %s (%d restored, %d rebuilt with commands, %d expired and %d empty skipped, %d refused; %d MOVED and %d ASK followed)",
		st.Keys, st.Elapsed.Round(time.Millisecond), st.Restored, st.Native, st.Expired, st.Empty, st.Failed, st.Moved, st.Asked)
	res := loadResult(st, "the cluster at "+seed)
	res.Evidence = append(res.Evidence, clusterRows(st)...)
	res.Outputs["target"] = seed
	res.Outputs["moved"], res.Outputs["asked"] = strconv.FormatInt(st.Moved, 10), strconv.FormatInt(st.Asked, 10)
	res.Warnings = append(res.Warnings, st.Migrations...)
	return res, nil
}

// clusterRows are the per-primary keys, the redirects followed and the
// slot migrations found.
func clusterRows(st *Stats) []runbook.Evidence {
	var rows []runbook.Evidence
	addrs := make([]string, 0, len(st.PerNode))
	for a := range st.PerNode {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	for _, a := range addrs {
		rows = append(rows, runbook.Evidence{Name: "keys written on " + a, Value: strconv.FormatInt(st.PerNode[a], 10), OK: true})
	}
	rows = append(rows, runbook.Evidence{Name: "redirects followed", Value: fmt.Sprintf("%d MOVED, %d ASK", st.Moved, st.Asked), OK: true})
	migrating := "none"
	if len(st.Migrations) > 0 {
		migrating = strings.Join(st.Migrations, "; ")
	}
	rows = append(rows, runbook.Evidence{Name: "slot migrations at the start", Value: migrating, OK: true})
	return rows
}
