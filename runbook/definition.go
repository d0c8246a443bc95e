package runbook

import (
	"fmt"
	"time"
)

// Phases in runbook order.
var Phases = []Phase{
	{"inventory", "Inventory: what ElastiCache does for you today"},
	{"build", "Build: the self-managed side is really ready"},
	{"migrate", "Migrate and cut over"},
	{"verify", "Verify and roll back"},
}

// Runbook is the ordered list of steps.
type Runbook struct {
	Steps []*Step
	byID  map[string]*Step
}

// Step returns the step with that ID, or nil.
func (rb *Runbook) Step(id string) *Step { return rb.byID[id] }

// Attach binds executors to steps by ID. It fails on an unknown ID or on
// an executor for a step that takes none, so a typo cannot go unnoticed.
func (rb *Runbook) Attach(execs map[string]Executor) error {
	for id, ex := range execs {
		s := rb.byID[id]
		if s == nil {
			return fmt.Errorf("runbook: no step %q to attach an executor to", id)
		}
		if s.Kind == Decision || s.Kind == Manual {
			return fmt.Errorf("runbook: %s is a %s step and takes no executor", id, s.Kind)
		}
		s.Exec = ex
	}
	return nil
}

func newRunbook(steps []*Step) *Runbook {
	rb := &Runbook{Steps: steps, byID: map[string]*Step{}}
	for _, s := range steps {
		rb.byID[s.ID] = s
	}
	return rb
}

// fromFact suggests the option a recorded fact's value maps to.
func fromFact(fact string, byValue map[string][2]string) func(map[string]string) (string, string) {
	return func(f map[string]string) (string, string) {
		s := byValue[f[fact]]
		return s[0], s[1]
	}
}

func opts(pairs ...string) []Option {
	var o []Option
	for i := 0; i+1 < len(pairs); i += 2 {
		o = append(o, Option{ID: pairs[i], Title: pairs[i+1]})
	}
	return o
}

// New returns the whole runbook of RUNBOOK.md, without executors.
func New() *Runbook {
	rdb := When{Decision: "migrate.strategy", Choices: []string{"rdb"}}
	live := When{Decision: "migrate.strategy", Choices: []string{"live"}}
	rdbAWS := rdb
	rdbAWS.SourceKinds = []string{"elasticache"}
	return newRunbook([]*Step{
		// Phase 1: inventory.
		{ID: "inventory.discover", Phase: "inventory", Kind: Check, Title: "Discover what ElastiCache manages",
			About: "Reads the replication group from the ElastiCache API (or INFO for a self-managed source): engine and version, node type, cluster mode and shards, auth mode, in-transit and at-rest encryption, Multi-AZ and automatic failover, Global Datastore membership, snapshot retention and window, and the parameter group values that differ from the defaults. Every later decision is filled in from what it finds."},
		{ID: "inventory.auth", Phase: "inventory", Kind: Decision, Title: "Authentication on the target", Needs: []string{"inventory.discover"},
			About:   "ElastiCache IAM auth tokens and AUTH tokens have no self-managed equivalent; pick how clients will authenticate to the target.",
			Options: opts("requirepass", "requirepass: one shared password", "acl", "ACL users per application (Redis 6+)"),
			Suggest: fromFact("inventory.discover.auth", map[string][2]string{
				"rbac":  {"acl", "the source uses RBAC user groups: ACL users carry them over"},
				"token": {"requirepass", "the source uses one AUTH token"},
				"none":  {"requirepass", "the source has no auth: add at least a password"},
			})},
		{ID: "inventory.tls", Phase: "inventory", Kind: Decision, Title: "Encryption in transit", Needs: []string{"inventory.discover"},
			About:   "ElastiCache encrypts in transit natively; self-managed Redis needs its own certificates.",
			Options: opts("tls", "TLS with our own certificates", "plaintext", "plaintext inside the private network (recorded risk)"),
			Suggest: fromFact("inventory.discover.transit_encryption", map[string][2]string{
				"true":  {"tls", "the source encrypts in transit: clients already speak TLS"},
				"false": {"plaintext", "the source is plaintext today"},
			})},
		{ID: "inventory.ha", Phase: "inventory", Kind: Decision, Title: "High availability", Needs: []string{"inventory.discover"},
			About:   "ElastiCache promotes a replica on failure and spreads replicas across zones; choose what does that now.",
			Options: opts("sentinel", "Sentinel: primary + replicas across zones + 3 sentinels", "cluster", "Redis Cluster: shards with a replica each"),
			Suggest: fromFact("inventory.discover.cluster_mode", map[string][2]string{
				"enabled":  {"cluster", "the source runs in cluster mode: clients are cluster-aware"},
				"disabled": {"sentinel", "the source is one shard with automatic failover"},
			})},
		{ID: "inventory.monitoring", Phase: "inventory", Kind: Decision, Title: "Monitoring", Needs: []string{"inventory.discover"},
			About:   "CloudWatch metrics stop at the cutover; the mapping table shows which INFO field replaces each.",
			Options: opts("exporter", "INFO + redis_exporter + Prometheus/Grafana", "other", "another monitoring stack (name it in the reason)")},
		{ID: "inventory.backup", Phase: "inventory", Kind: Decision, Title: "Backups", Needs: []string{"inventory.discover"},
			About:   "ElastiCache takes daily snapshots; self-managed needs BGSAVE, a schedule and object storage, or an explicit decision that the cache is rebuildable.",
			Options: opts("bgsave-s3", "BGSAVE on a schedule, uploaded to object storage", "none", "no backups: the cache is rebuilt from the database"),
			Suggest: func(f map[string]string) (string, string) {
				switch v, ok := f["inventory.discover.snapshot_retention"]; {
				case !ok:
					return "", ""
				case v == "0":
					return "none", "the source keeps no automatic snapshots today"
				default:
					return "bgsave-s3", "the source keeps automatic snapshots for " + v + " day(s)"
				}
			}},
		{ID: "inventory.global", Phase: "inventory", Kind: Decision, Title: "Global Datastore replacement", Needs: []string{"inventory.discover"},
			When:    When{Fact: "inventory.discover.global_datastore", FactValue: "true"},
			About:   "Self-managed Redis has no native cross-region replication; decide what replaces the Global Datastore.",
			Options: opts("app-replication", "application-level replication", "third-party", "a third-party active-active product", "give-up", "give up cross-region cache sync")},
		{ID: "inventory.upgrades", Phase: "inventory", Kind: Manual, Title: "Owner for patches and upgrades", Needs: []string{"inventory.discover"},
			About: "AWS patched the engine; now someone must track CVEs and run rolling upgrades. Tick with who owns it."},
		{ID: "inventory.baseline", Phase: "inventory", Kind: Check, Title: "Baseline the source", Needs: []string{"inventory.discover"},
			About: "Samples the source over a window: hit rate, p50/p99 latency measured by cutover itself, ops/s, keys and memory. Phase 4 compares against it."},

		// Phase 2: build.
		{ID: "build.reachable", Phase: "build", Kind: Check, Title: "Target reachable with auth",
			About: "PING with the configured credentials succeeds, and a connection without credentials is refused."},
		{ID: "build.acl", Phase: "build", Kind: Check, Title: "ACL users", Needs: []string{"build.reachable", "inventory.auth"},
			When:  When{Decision: "inventory.auth", Choices: []string{"acl"}},
			About: "ACL LIST: the default user is disabled or protected, and the configured user exists with the permissions it needs."},
		{ID: "build.tls", Phase: "build", Kind: Check, Title: "TLS", Needs: []string{"build.reachable", "inventory.tls"},
			When:  When{Decision: "inventory.tls", Choices: []string{"tls"}},
			About: "The target answers over TLS with a certificate that verifies against the configured CA and name, and refuses plaintext."},
		{ID: "build.persistence", Phase: "build", Kind: Check, Title: "Persistence", Needs: []string{"build.reachable"},
			About: "AOF or RDB saving is configured as intended and the last save or rewrite succeeded."},
		{ID: "build.replication", Phase: "build", Kind: Check, Title: "Replication", Needs: []string{"build.reachable"},
			About: "The primary has its replicas connected, links up, and lag bounded."},
		{ID: "build.sentinel", Phase: "build", Kind: Check, Title: "Sentinel quorum", Needs: []string{"build.reachable"},
			When:  When{TargetKinds: []string{"sentinel"}},
			About: "SENTINEL CKQUORUM is OK, at least 3 sentinels know the master, and the master name resolves to the primary the target URL reaches."},
		{ID: "build.cluster", Phase: "build", Kind: Check, Title: "Cluster slots", Needs: []string{"build.reachable"},
			When:  When{TargetKinds: []string{"cluster"}},
			About: "All 16384 slots are covered and every shard has a replica."},
		{ID: "build.memory", Phase: "build", Kind: Check, Title: "Memory limits", Needs: []string{"build.reachable"},
			About: "maxmemory is set, and maxmemory-policy matches the source's parameter group."},
		{ID: "build.version", Phase: "build", Kind: Check, Title: "Engine version", Needs: []string{"build.reachable"},
			About: "The target's engine can load the source's RDB version (RESTORE refuses newer payloads; older targets get native commands)."},
		{ID: "build.monitoring", Phase: "build", Kind: Check, Title: "Monitoring answers", Needs: []string{"build.reachable", "inventory.monitoring"},
			About: "The exporter endpoint answers and reports redis_up 1."},
		{ID: "build.backup", Phase: "build", Kind: Check, Title: "Backups are being made", Needs: []string{"build.reachable", "inventory.backup"},
			When:  When{Decision: "inventory.backup", Choices: []string{"bgsave-s3"}},
			About: "A recent successful save on the target and a backup object in the bucket."},
		{ID: "build.dns", Phase: "build", Kind: Action, Gate: Confirm, Title: "CNAME exists, TTL lowered",
			About: "The CNAME clients use exists and points at the source; lowers its TTL (for example to 30 s) and shows when the old TTL has elapsed so a swap is safe."},

		// Phase 3: migrate and cut over.
		{ID: "migrate.strategy", Phase: "migrate", Kind: Decision, Title: "Migration strategy",
			About:   "RDB export and import accepts a window of cache misses; dual write has zero downtime but the application writes to both; live sync copies every key, then each change as keyspace notifications report it, with no application change (the source needs notify-keyspace-events).",
			Options: opts("rdb", "RDB export + import", "dualwrite", "dual write from the application", "live", "live sync: copy, then follow keyspace notifications"),
			Suggest: fromFact("inventory.discover.keyspace_events", map[string][2]string{
				"on":       {"live", "the source already sends keyspace notifications: a live sync needs no change on it"},
				"settable": {"live", "notify-keyspace-events can be set on the source (KEA): a live sync then moves the data without downtime or application change"},
			})},
		{ID: "migrate.snapshot", Phase: "migrate", Kind: Action, Gate: Confirm, Title: "Snapshot the source", Needs: []string{"migrate.strategy"},
			When:  rdb,
			About: "ElastiCache: CreateSnapshot and wait until it is available. A self-managed source is snapshotted over the replication protocol, as redis-cli --rdb does."},
		{ID: "migrate.export", Phase: "migrate", Kind: Action, Gate: Confirm, Title: "Export the snapshot to S3", Needs: []string{"migrate.snapshot"},
			When:  rdbAWS,
			About: "Preflights the bucket (same region, the grant ElastiCache needs, the caller's permissions), then CopySnapshot to the bucket and waits for the object(s)."},
		{ID: "migrate.download", Phase: "migrate", Kind: Action, Title: "Download the RDB", Needs: []string{"migrate.export"},
			When:  rdbAWS,
			About: "Concurrent ranged download of the .rdb object(s), with progress and checksum, then a summary of the contents."},
		{ID: "migrate.load", Phase: "migrate", Kind: Action, Gate: TwoPerson, Title: "Load into the target", Needs: []string{"migrate.snapshot", "migrate.download", "build.reachable", "build.version"},
			When:  rdb,
			About: "Verifies the whole file first, then streams it into the target as RESTORE commands (or places it in the data dir and restarts a local target). Refuses a non-empty target unless overwrite is chosen.",
			RunOpts: []RunOption{
				{Name: "existing", Title: "If the target already holds keys", Choices: opts("refuse", "refuse", "replace", "overwrite matching keys (RESTORE REPLACE)", "flush", "FLUSHALL first")},
				{Name: "method", Title: "Load method", Choices: opts("restore", "streamed RESTORE pipeline", "restart", "place the file in the data dir and restart (local target)")},
			}},
		{ID: "migrate.live", Phase: "migrate", Kind: Action, Gate: TwoPerson, Title: "Live sync source -> target", Needs: []string{"migrate.strategy", "build.reachable", "build.version"},
			When:  live,
			About: "Subscribes to keyspace notifications on the source first, then copies every key (SCAN, DUMP + PTTL, RESTORE ... ABSTTL REPLACE), then copies each key again as it changes. A marker written on the source every second measures the lag and proves no notification was lost; a lost one starts a catch-up rescan. Done when the first copy is complete and the lag is under thresholds.live_lag; the sync keeps running in the background until cutover.cname stops it.",
			RunOpts: []RunOption{
				{Name: "existing", Title: "If the target already holds keys", Choices: opts("refuse", "refuse", "mirror", "mirror the source: overwrite matching keys, delete keys the source lacks")},
			}},
		{ID: "migrate.parity", Phase: "migrate", Kind: Check, Title: "Parity source vs target", Needs: []string{"migrate.load", "migrate.live"},
			When:  When{Decision: "migrate.strategy", Choices: []string{"rdb", "live"}},
			About: "Key counts per db within the TTL-expiry tolerance, plus a sampled deep compare of type, value and TTL. With a live sync, a key that differs is compared again once the sync has had time to copy it: keys changed in flight are not losses."},
		{ID: "migrate.dualwrite", Phase: "migrate", Kind: Check, Title: "Dual-write convergence", Needs: []string{"migrate.strategy"},
			When:  When{Decision: "migrate.strategy", Choices: []string{"dualwrite"}},
			About: "Live gauge of target keys against source keys and the target's hit rate catching up; passes at the configured threshold."},
		{ID: "cutover.cname", Phase: "migrate", Kind: Action, Gate: TwoPerson, Title: "Swap the CNAME to the target", Needs: []string{"build.dns", "migrate.parity", "migrate.dualwrite", "migrate.live"},
			About: "Route53 UPSERT of the CNAME to the target, guarded by the expected current value, wait for INSYNC, then prove it: resolve through the configured resolver, connect, and check the server's run_id is the target's. With a live sync it first waits for the lag to drop under thresholds.live_lag, pauses writes on the source (CLIENT PAUSE WRITE), drains the queue, compares every key changed in the last minute, and after the swap keeps syncing until the source has no application clients left.",
			RunOpts: []RunOption{{Name: "pause", Title: "Writes on the source during the final drain", When: live,
				Choices: opts("write", "CLIENT PAUSE WRITE while draining and comparing", "none", "no pause (the source refuses it): keys changed in flight are allowed")}}},
		{ID: "cutover.restart", Phase: "migrate", Kind: Manual, Title: "Rolling restart of the application", Needs: []string{"cutover.cname"},
			About: "Restart the application so every client re-resolves the name and reconnects to the target."},
		{ID: "cutover.watch", Phase: "migrate", Kind: Check, Title: "Hit rate and latency back to baseline", Needs: []string{"cutover.restart", "inventory.baseline"},
			About: "Hit rate and p99 latency on the target within the configured margins of the baseline for the configured time."},

		// Phase 4: verify and roll back.
		{ID: "verify.connect", Phase: "verify", Kind: Check, Title: "Clients connect", Needs: []string{"cutover.cname"},
			About: "Through the CNAME: PING succeeds with auth and no auth errors; clients are connected to the target."},
		{ID: "verify.data", Phase: "verify", Kind: Check, Title: "Data complete", Needs: []string{"cutover.cname"},
			About: "Key counts match the source within the TTL-expiry tolerance."},
		{ID: "verify.performance", Phase: "verify", Kind: Check, Title: "Performance at baseline", Needs: []string{"cutover.watch"},
			About: "p99 latency and hit rate on the target against the phase 1 baseline."},
		{ID: "verify.failover", Phase: "verify", Kind: Action, Gate: TwoPerson, Title: "Failover drill", Needs: []string{"verify.connect"},
			When:    When{TargetKinds: []string{"sentinel"}},
			About:   "A canary writes sequence numbers through a Sentinel-aware client while the primary is killed, frozen or failed over; records detection, promotion, client outage and acknowledged writes lost.",
			RunOpts: []RunOption{{Name: "mode", Title: "How the primary fails", Choices: opts("kill", "kill the primary (SIGKILL when local, SHUTDOWN NOSAVE otherwise)", "freeze", "freeze it (SIGSTOP, local only)", "failover", "SENTINEL FAILOVER")}}},
		{ID: "verify.backup", Phase: "verify", Kind: Action, Gate: Confirm, Title: "Backup and restore test", Needs: []string{"verify.data"},
			About: "BGSAVE on the target, wait for LASTSAVE to move, upload the RDB to the bucket, restore it into a scratch instance and compare key counts."},
		{ID: "verify.decommission", Phase: "verify", Kind: Manual, Title: "Keep ElastiCache, then decommission", Needs: []string{"verify.connect", "verify.data", "verify.performance", "verify.failover", "verify.backup"},
			Wait:  &Wait{Step: "cutover.cname", Hold: 7 * 24 * time.Hour},
			About: "Keep the ElastiCache cluster for 7 to 14 days as the way back; tick when it has been deleted."},
		{ID: "rollback.cname", Phase: "verify", Kind: Action, Gate: TwoPerson, Title: "Roll back: CNAME to the source", AfterRun: []string{"cutover.cname"},
			About: "Points the CNAME back at the value recorded before the swap, waits for INSYNC, and proves clients reach the source again."},
	})
}
