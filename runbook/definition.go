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
	byID  map[StepID]*Step
}

// Step returns the step with that ID, or nil.
func (rb *Runbook) Step(id StepID) *Step { return rb.byID[id] }

// Attach binds executors to steps by ID. It fails on an unknown ID or on
// an executor for a step that takes none, so a typo cannot go unnoticed.
func (rb *Runbook) Attach(execs map[StepID]Executor) error {
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

// Unattached lists the check and action steps that have no executor: a
// build with any is incomplete.
func (rb *Runbook) Unattached() []StepID {
	var ids []StepID
	for _, s := range rb.Steps {
		if (s.Kind == Check || s.Kind == Action) && s.Exec == nil {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

func newRunbook(steps []*Step) *Runbook {
	rb := &Runbook{Steps: steps, byID: map[StepID]*Step{}}
	for _, s := range steps {
		rb.byID[s.ID] = s
	}
	return rb
}

// fromFact suggests the option a recorded fact's value maps to.
func fromFact(fact Fact, byValue map[string][2]string) func(Facts) (string, string) {
	return func(f Facts) (string, string) {
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
	rdb := When{Decision: MigrateStrategy, Choices: []string{"rdb"}}
	live := When{Decision: MigrateStrategy, Choices: []string{"live"}}
	rdbAWS := rdb
	rdbAWS.SourceKinds = []string{KindElastiCache, KindServerless}
	return newRunbook([]*Step{
		// Phase 1: inventory.
		{ID: InventoryDiscover, Phase: "inventory", Kind: Check, Title: "Discover what ElastiCache manages",
			About: "Reads the replication group from the ElastiCache API (or INFO for a self-managed source): engine and version, node type, cluster mode and shards, auth mode, in-transit and at-rest encryption, Multi-AZ and automatic failover, Global Datastore membership, snapshot retention and window, and the parameter group values that differ from the defaults. Every later decision is filled in from what it finds."},
		{ID: InventoryCost, Phase: "inventory", Kind: Check, Title: "Cost case: stay or leave", Needs: []StepID{InventoryDiscover},
			When:  When{SourceKinds: []string{KindElastiCache, KindServerless}},
			About: "Prices this cache both ways from the AWS Price List API: its ElastiCache nodes (or serverless storage and ECPUs over 30 days from CloudWatch) against EC2 instances sized for the same data with fork headroom, replicas, 3 sentinels or the cluster's nodes, EBS gp3 and cross-AZ replication, plus the people from the cost section (on-call, ops, per-cluster upgrades and patching). Shows the monthly figures side by side, the break-even and the payback, and says so when staying is cheaper or the playbook's rule (under 50 GB and 5 clusters) says stay; it passes either way, with a warning, so the decision goes into the journal with its numbers."},
		{ID: InventoryAuth, Phase: "inventory", Kind: Decision, Title: "Authentication on the target", Needs: []StepID{InventoryDiscover},
			About:   "ElastiCache IAM auth tokens and AUTH tokens have no self-managed equivalent; pick how clients will authenticate to the target.",
			Options: opts("requirepass", "requirepass: one shared password", "acl", "ACL users per application (Redis 6+)"),
			Suggest: fromFact(DiscoverAuth, map[string][2]string{
				"rbac":  {"acl", "the source uses RBAC user groups: ACL users carry them over"},
				"token": {"requirepass", "the source uses one AUTH token"},
				"none":  {"requirepass", "the source has no auth: add at least a password"},
			})},
		{ID: InventoryTLS, Phase: "inventory", Kind: Decision, Title: "Encryption in transit", Needs: []StepID{InventoryDiscover},
			About:   "ElastiCache encrypts in transit natively; self-managed Redis needs its own certificates.",
			Options: opts("tls", "TLS with our own certificates", "plaintext", "plaintext inside the private network (recorded risk)"),
			Suggest: fromFact(DiscoverTransitEncryption, map[string][2]string{
				"true":  {"tls", "the source encrypts in transit: clients already speak TLS"},
				"false": {"plaintext", "the source is plaintext today"},
			})},
		{ID: InventoryHA, Phase: "inventory", Kind: Decision, Title: "High availability", Needs: []StepID{InventoryDiscover},
			About:   "ElastiCache promotes a replica on failure and spreads replicas across zones; choose what does that now.",
			Options: opts("sentinel", "Sentinel: primary + replicas across zones + 3 sentinels", "cluster", "Redis Cluster: shards with a replica each"),
			Suggest: fromFact(DiscoverClusterMode, map[string][2]string{
				"enabled":  {"cluster", "the source runs in cluster mode: clients are cluster-aware"},
				"disabled": {"sentinel", "the source is one shard with automatic failover"},
			})},
		{ID: InventoryMonitoring, Phase: "inventory", Kind: Decision, Title: "Monitoring", Needs: []StepID{InventoryDiscover},
			About:   "CloudWatch metrics stop at the cutover; the mapping table shows which INFO field replaces each.",
			Options: opts("exporter", "INFO + redis_exporter + Prometheus/Grafana", "other", "another monitoring stack (name it in the reason)")},
		{ID: InventoryBackup, Phase: "inventory", Kind: Decision, Title: "Backups", Needs: []StepID{InventoryDiscover},
			About:   "ElastiCache takes daily snapshots; self-managed needs BGSAVE, a schedule and object storage, or an explicit decision that the cache is rebuildable.",
			Options: opts("bgsave-s3", "BGSAVE on a schedule, uploaded to object storage", "none", "no backups: the cache is rebuilt from the database"),
			Suggest: func(f Facts) (string, string) {
				switch v, ok := f[DiscoverSnapshotRetention]; {
				case !ok:
					return "", ""
				case v == "0":
					return "none", "the source keeps no automatic snapshots today"
				default:
					return "bgsave-s3", "the source keeps automatic snapshots for " + v + " day(s)"
				}
			}},
		{ID: InventoryGlobal, Phase: "inventory", Kind: Decision, Title: "Global Datastore replacement", Needs: []StepID{InventoryDiscover},
			When:    When{Fact: DiscoverGlobalDatastore, FactValue: "true"},
			About:   "Self-managed Redis has no native cross-region replication; decide what replaces the Global Datastore.",
			Options: opts("app-replication", "application-level replication", "third-party", "a third-party active-active product", "give-up", "give up cross-region cache sync")},
		{ID: InventoryUpgrades, Phase: "inventory", Kind: Manual, Title: "Owner for patches and upgrades", Needs: []StepID{InventoryDiscover},
			About: "AWS patched the engine; now someone must track CVEs and run rolling upgrades. Tick with who owns it."},
		{ID: InventoryBaseline, Phase: "inventory", Kind: Check, Title: "Baseline the source", Needs: []StepID{InventoryDiscover},
			About: "Samples the source over a window: hit rate, p50/p99 latency measured by cutover itself, ops/s, keys and memory. Phase 4 compares against it."},

		// Phase 2: build.
		{ID: BuildReachable, Phase: "build", Kind: Check, Title: "Target reachable with auth",
			About: "PING with the configured credentials succeeds, and a connection without credentials is refused."},
		{ID: BuildACL, Phase: "build", Kind: Check, Title: "ACL users", Needs: []StepID{BuildReachable, InventoryAuth},
			When:  When{Decision: InventoryAuth, Choices: []string{"acl"}},
			About: "ACL LIST: the default user is disabled or protected, and the configured user exists with the permissions it needs."},
		{ID: BuildUsers, Phase: "build", Kind: Check, Title: "Application users", Needs: []StepID{BuildReachable},
			About: "Every ACL user the applications log in as on the source (the replication group's user groups, or the serverless cache's, through DescribeUserGroups and DescribeUsers for ElastiCache, ACL LIST otherwise) must exist on the target, and on each of its replicas (ACL users are not replicated), with the same key patterns, channels and command rules, and its password from target.users must log in (AUTH, then ACL WHOAMI on a fresh connection). A user the target lacks gets WRONGPASS after the swap, one with fewer rights NOPERM. The ACL SETUSER line each user needs is shown with its password as >***: passwords come from the operator's secret store, never from the source. The default user and disabled users are skipped, with the reason."},
		{ID: BuildTLS, Phase: "build", Kind: Check, Title: "TLS", Needs: []StepID{BuildReachable, InventoryTLS},
			When:  When{Decision: InventoryTLS, Choices: []string{"tls"}},
			About: "The target answers over TLS with a certificate that verifies against the configured CA and name, and refuses plaintext."},
		{ID: BuildPersistence, Phase: "build", Kind: Check, Title: "Persistence", Needs: []StepID{BuildReachable},
			About: "AOF or RDB saving is configured as intended and the last save or rewrite succeeded."},
		{ID: BuildReplication, Phase: "build", Kind: Check, Title: "Replication", Needs: []StepID{BuildReachable},
			About: "The primary has its replicas connected, links up, and lag bounded."},
		{ID: BuildSentinel, Phase: "build", Kind: Check, Title: "Sentinel quorum", Needs: []StepID{BuildReachable},
			When:  When{TargetKinds: []string{"sentinel"}},
			About: "SENTINEL CKQUORUM is OK, at least 3 sentinels know the master, and the master name resolves to the primary the target URL reaches."},
		{ID: BuildCluster, Phase: "build", Kind: Check, Title: "Cluster slots", Needs: []StepID{BuildReachable},
			When:  When{TargetKinds: []string{"cluster"}},
			About: "The target cluster is whole: cluster_state ok, all 16384 slots served (the gaps named when not), every primary with a replica in another zone (target.zones, else each host its own zone), and every node agreeing on the slot map (CLUSTER SLOTS asked of each node)."},
		{ID: BuildMemory, Phase: "build", Kind: Check, Title: "Memory limits", Needs: []StepID{BuildReachable},
			About: "maxmemory is set and at least the source's used_memory x 1.2 (the load, replication buffers and fragmentation come on top of the data), and maxmemory-policy matches the source's (its parameter group for ElastiCache): a different policy evicts other keys, or refuses writes with OOM instead of evicting."},
		{ID: BuildDatabases, Phase: "build", Kind: Check, Title: "Databases", Needs: []StepID{BuildReachable},
			About: "INFO keyspace on the source gives the highest db index that holds keys; the target's databases (CONFIG GET) must be above it, or keys in that db cannot be loaded and an application that SELECTs it gets an error. A cluster target has only db0. databases is set in redis.conf and needs a restart."},
		{ID: BuildKeyspaceEvents, Phase: "build", Kind: Check, Title: "Keyspace notifications", Needs: []StepID{BuildReachable},
			About: "notify-keyspace-events on the target (CONFIG GET) enables the same classes as on the source (its parameter group value for ElastiCache, CONFIG GET otherwise), compared as sets: KEA and AKE are the same. An application that subscribes to __keyevent@0__:expired (session expiry, cache invalidation) silently stops getting events on a target without them, and a target with more classes pays for notifications nobody asked for."},
		{ID: BuildCommands, Phase: "build", Kind: Check, Title: "Commands", Needs: []StepID{BuildReachable},
			About: "Every command the application has called on the source (INFO commandstats) must be known to the target: a hardened redis.conf that renames or disables KEYS, FLUSHALL or CONFIG (rename-command) turns those calls into ERR unknown command after the swap. Each command the source lists (COMMAND LIST) is looked up on both sides with COMMAND INFO: one renamed on the source only means the application may call a new name the target does not know; one the target lacks that the application has not called is a warning."},
		{ID: BuildScripts, Phase: "build", Kind: Check, Title: "Scripts and functions", Needs: []StepID{BuildReachable},
			About: "Function libraries (FUNCTION LIST, Redis 7+) on the source must be on the target, by library name: an FCALL of a missing one fails, and loading keys does not bring them (copy them with FUNCTION DUMP | FUNCTION RESTORE). Scripts are different: the script cache is never migrated, so an application that calls EVALSHA (INFO commandstats) gets NOSCRIPT on the target until each script is loaded again; the step passes with a warning and the number of EVALSHA calls seen, and says to SCRIPT LOAD them on the target (or rely on a client that falls back to EVAL)."},
		{ID: BuildVersion, Phase: "build", Kind: Check, Title: "Engine version", Needs: []StepID{BuildReachable},
			About: "The target's engine can load the source's RDB version (RESTORE refuses newer payloads; older targets get native commands)."},
		{ID: BuildMonitoring, Phase: "build", Kind: Check, Title: "Monitoring answers", Needs: []StepID{BuildReachable, InventoryMonitoring},
			About: "The exporter endpoint answers, reports redis_up 1, and watches the target primary (its redis_instance_info run_id is the primary's)."},
		{ID: BuildBackup, Phase: "build", Kind: Check, Title: "Backups are being made", Needs: []StepID{BuildReachable, InventoryBackup},
			When:  When{Decision: InventoryBackup, Choices: []string{"bgsave-s3"}},
			About: "A recent successful save on the target and a backup object in the bucket."},
		{ID: BuildDNS, Phase: "build", Kind: Action, Gate: Confirm, Title: "CNAME exists, TTL lowered",
			About: "The CNAME clients use exists and points at the source; lowers its TTL (for example to 30 s) and shows when the old TTL has elapsed so a swap is safe."},

		// Phase 3: migrate and cut over.
		{ID: MigrateStrategy, Phase: "migrate", Kind: Decision, Title: "Migration strategy",
			About:   "RDB export and import accepts a window of cache misses; dual write has zero downtime but the application writes to both; live sync copies every key, then each change as keyspace notifications report it, with no application change (the source needs notify-keyspace-events).",
			Options: opts("rdb", "RDB export + import", "dualwrite", "dual write from the application", "live", "live sync: copy, then follow keyspace notifications"),
			Suggest: fromFact(DiscoverKeyspaceEvents, map[string][2]string{
				"on":       {"live", "the source already sends keyspace notifications: a live sync needs no change on it"},
				"settable": {"live", "notify-keyspace-events can be set on the source (KEA): a live sync then moves the data without downtime or application change"},
			})},
		{ID: MigrateSnapshot, Phase: "migrate", Kind: Action, Gate: Confirm, Title: "Snapshot the source", Needs: []StepID{MigrateStrategy},
			When:  rdb,
			About: "ElastiCache: CreateSnapshot (CreateServerlessCacheSnapshot for a serverless cache) and wait until it is available. A self-managed source is snapshotted over the replication protocol, as redis-cli --rdb does."},
		{ID: MigrateExport, Phase: "migrate", Kind: Action, Gate: Confirm, Title: "Export the snapshot to S3", Needs: []StepID{MigrateSnapshot},
			When:  rdbAWS,
			About: "Preflights the bucket (same region, the grant ElastiCache needs, the caller's permissions), then CopySnapshot to the bucket and waits for the object(s); a serverless snapshot is exported with ExportServerlessCacheSnapshot and every .rdb object it writes under the snapshot's name is taken."},
		{ID: MigrateDownload, Phase: "migrate", Kind: Action, Title: "Download the RDB", Needs: []StepID{MigrateExport},
			When:  rdbAWS,
			About: "Concurrent ranged download of the .rdb object(s), with progress and checksum, then a summary of the contents."},
		{ID: MigrateLoad, Phase: "migrate", Kind: Action, Gate: TwoPerson, Title: "Load into the target", Needs: []StepID{MigrateSnapshot, MigrateDownload, BuildReachable, BuildVersion},
			When:  rdb,
			About: "Verifies every file first, then streams them into the target as RESTORE commands (a cluster target: each key to the primary owning its slot, one pipeline per primary, MOVED and ASK followed), or places the file in the data dir and restarts a local target. Refuses a non-empty target unless overwrite is chosen. A serverless source whose export was skipped (with the reason) is copied with SCAN + DUMP/RESTORE instead.",
			RunOpts: []RunOption{
				{Name: "existing", Title: "If the target already holds keys", Choices: opts("refuse", "refuse", "replace", "overwrite matching keys (RESTORE REPLACE)", "flush", "FLUSHALL first")},
				{Name: "method", Title: "Load method", Choices: opts("restore", "streamed RESTORE pipeline", "restart", "place the file in the data dir and restart (local target)")},
			}},
		{ID: MigrateLive, Phase: "migrate", Kind: Action, Gate: TwoPerson, Title: "Live sync source -> target", Needs: []StepID{MigrateStrategy, BuildReachable, BuildVersion},
			When:  live,
			About: "Subscribes to keyspace notifications on the source first, then copies every key (SCAN, DUMP + PTTL, RESTORE ... ABSTTL REPLACE), then copies each key again as it changes. A marker written on the source every second measures the lag and proves no notification was lost; a lost one starts a catch-up rescan. Done when the first copy is complete and the lag is under thresholds.live_lag; the sync keeps running in the background until cutover.cname stops it.",
			RunOpts: []RunOption{
				{Name: "existing", Title: "If the target already holds keys", Choices: opts("refuse", "refuse", "mirror", "mirror the source: overwrite matching keys, delete keys the source lacks")},
			}},
		{ID: MigrateParity, Phase: "migrate", Kind: Check, Title: "Parity source vs target", Needs: []StepID{MigrateLoad, MigrateLive},
			When:  When{Decision: MigrateStrategy, Choices: []string{"rdb", "live"}},
			About: "Key counts per db within the TTL-expiry tolerance, plus a sampled deep compare of type, value and TTL. With a live sync, a key that differs is compared again once the sync has had time to copy it: keys changed in flight are not losses."},
		{ID: MigrateDualwrite, Phase: "migrate", Kind: Check, Title: "Dual-write convergence", Needs: []StepID{MigrateStrategy},
			When:  When{Decision: MigrateStrategy, Choices: []string{"dualwrite"}},
			About: "Live gauge of target keys against source keys and the target's hit rate catching up; passes at the configured threshold."},
		{ID: CutoverGonogo, Phase: "migrate", Kind: Action, Gate: TwoPerson, Title: "Go/no-go for the swap", Needs: []StepID{BuildDNS, MigrateParity, MigrateDualwrite, MigrateLive},
			About: "Both operators read every abort criterion of the window with its live value, the time left and the rollback deadline, and confirm the go by typing it: the decision and the values it was taken on are recorded. From the swap on, a criterion that turns true raises a banner that offers rollback.cname."},
		{ID: CutoverCname, Phase: "migrate", Kind: Action, Gate: TwoPerson, Title: "Swap the CNAME to the target", Needs: []StepID{BuildDNS, MigrateParity, MigrateDualwrite, MigrateLive, CutoverGonogo},
			About: "Route53 UPSERT of the CNAME to the target, guarded by the expected current value, wait for INSYNC, then prove it: resolve through the configured resolver, connect, and check the server's run_id is the target's. With a live sync it first waits for the lag to drop under thresholds.live_lag, pauses writes on the source (CLIENT PAUSE WRITE), drains the queue, compares every key changed in the last minute, and after the swap keeps syncing until the source has no application clients left.",
			RunOpts: []RunOption{{Name: "pause", Title: "Writes on the source during the final drain", When: live,
				Choices: opts("write", "CLIENT PAUSE WRITE while draining and comparing", "none", "no pause (the source refuses it): keys changed in flight are allowed")}}},
		{ID: CutoverStragglers, Phase: "migrate", Kind: Check, Title: "No application left on the source", Needs: []StepID{CutoverCname},
			About: "CLIENT LIST on the source, less cutover's own connections (named cutover-*) and replicas: every application connection still there, with its address, age, idle time, name and library (lib-name/lib-ver, Redis 7.2+), shown live. Run it during the rolling restart; it passes once the source has had none for thresholds.stragglers_quiet. A connection that stays names a client that ignored the DNS change (a cached resolution, a pool that never reconnects)."},
		{ID: CutoverRestart, Phase: "migrate", Kind: Manual, Title: "Rolling restart of the application", Needs: []StepID{CutoverCname},
			About: "Restart the application so every client re-resolves the name and reconnects to the target."},
		{ID: CutoverWatch, Phase: "migrate", Kind: Check, Title: "Hit rate and latency back to baseline", Needs: []StepID{CutoverRestart, InventoryBaseline},
			About: "Hit rate and p99 latency on the target within the configured margins of the baseline for the configured time (per-second p99 less the sampler's own delay, judged over 10 s windows), and no growth of the target's error counters that mean a broken application (NOAUTH, WRONGPASS, NOPERM, NOSCRIPT, READONLY, CROSSSLOT, OOM)."},

		// Phase 4: verify and roll back.
		{ID: VerifyConnect, Phase: "verify", Kind: Check, Title: "Clients connect", Needs: []StepID{CutoverCname},
			About: "Through the CNAME: PING succeeds with auth and no auth errors; clients are connected to the target."},
		{ID: VerifyData, Phase: "verify", Kind: Check, Title: "Data complete", Needs: []StepID{CutoverCname},
			About: "Key counts match the source within the TTL-expiry tolerance."},
		{ID: VerifyPerformance, Phase: "verify", Kind: Check, Title: "Performance at baseline", Needs: []StepID{CutoverWatch},
			About: "p99 latency and hit rate on the target against the phase 1 baseline."},
		{ID: VerifyFailover, Phase: "verify", Kind: Action, Gate: TwoPerson, Title: "Failover drill", Needs: []StepID{VerifyConnect},
			When:    When{TargetKinds: []string{"sentinel", "cluster"}},
			About:   "A canary writes sequence numbers through a Sentinel-aware (or cluster) client while the primary is killed, frozen or failed over; shows the sentinels' (or the cluster nodes') event chain live and records detection, promotion, client outage and acknowledged writes lost. On a cluster the shard owning the canary's slot is drilled, or the one given with shard=host:port.",
			RunOpts: []RunOption{{Name: "mode", Title: "How the primary fails", Choices: opts("kill", "kill the primary (SIGKILL when local, SHUTDOWN NOSAVE otherwise)", "freeze", "freeze it (SIGSTOP, local only)", "failover", "SENTINEL FAILOVER, or CLUSTER FAILOVER on a replica of a cluster")}}},
		{ID: VerifyBackup, Phase: "verify", Kind: Action, Gate: Confirm, Title: "Backup and restore test", Needs: []StepID{VerifyData},
			About: "BGSAVE on the target, wait for LASTSAVE to move, upload the RDB to the bucket, restore it into a scratch instance and compare key counts."},
		{ID: VerifyDecommission, Phase: "verify", Kind: Manual, Title: "Keep ElastiCache, then decommission", Needs: []StepID{VerifyConnect, VerifyData, VerifyPerformance, VerifyFailover, VerifyBackup, CutoverStragglers},
			Wait:  &Wait{Step: CutoverCname, Hold: 7 * 24 * time.Hour},
			About: "Keep the ElastiCache cluster for 7 to 14 days as the way back; tick when it has been deleted."},
		{ID: RollbackCname, Phase: "verify", Kind: Action, Gate: TwoPerson, Title: "Roll back: CNAME to the source", AfterRun: []StepID{CutoverCname},
			About: "Points the CNAME back at the value recorded before the swap, waits for INSYNC, and proves clients reach the source again."},
	})
}
