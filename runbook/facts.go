package runbook

import "strconv"

// Fact is an output of a step's result (Result.Outputs[Name]) that later
// steps, the console or the report read. The facts below are declared
// once, so the step that writes one and every reader name the same thing.
type Fact struct {
	Step StepID
	Name string
}

// String reads "step.name", as facts are shown and were keyed before.
func (f Fact) String() string { return string(f.Step) + "." + f.Name }

// Facts are the outputs of the succeeded results so far.
type Facts map[Fact]string

// Facts read across steps.
var (
	DiscoverEngine            = Fact{InventoryDiscover, "engine"}
	DiscoverVersion           = Fact{InventoryDiscover, "version"}
	DiscoverAuth              = Fact{InventoryDiscover, "auth"}
	DiscoverTransitEncryption = Fact{InventoryDiscover, "transit_encryption"}
	DiscoverClusterMode       = Fact{InventoryDiscover, "cluster_mode"}
	// DiscoverShards is the node groups of an ElastiCache group: a
	// snapshot and an export hold one RDB per shard.
	DiscoverShards = Fact{InventoryDiscover, "shards"}
	// DiscoverConfigEndpoint is a cluster-mode group's configuration
	// endpoint, host:port.
	DiscoverConfigEndpoint    = Fact{InventoryDiscover, "configuration_endpoint"}
	DiscoverSnapshotRetention = Fact{InventoryDiscover, "snapshot_retention"}
	DiscoverGlobalDatastore   = Fact{InventoryDiscover, "global_datastore"}
	DiscoverMaxmemoryPolicy   = Fact{InventoryDiscover, "maxmemory-policy"}
	DiscoverKeyspaceEvents    = Fact{InventoryDiscover, "keyspace_events"}
	// DiscoverParamKeyspaceEvents is notify-keyspace-events when it is not
	// the default (""): absent once discover ran means "".
	DiscoverParamKeyspaceEvents = Fact{InventoryDiscover, "param.notify-keyspace-events"}

	BaselineP99     = Fact{InventoryBaseline, "p99_ms"}
	BaselineHitRate = Fact{InventoryBaseline, "hit_rate"}

	DNSOldTTL = Fact{BuildDNS, "old_ttl"}
	DNSTTL    = Fact{BuildDNS, "ttl"}
	DNSSafeAt = Fact{BuildDNS, "safe_at"}

	SnapshotName    = Fact{MigrateSnapshot, "name"}
	SnapshotShards  = Fact{MigrateSnapshot, "shards"}
	SnapshotFile    = Fact{MigrateSnapshot, "file"}
	SnapshotTakenAt = Fact{MigrateSnapshot, "taken_at"}

	ExportBucket = Fact{MigrateExport, "bucket"}
	ExportKeys   = Fact{MigrateExport, "keys"}

	DownloadFile    = Fact{MigrateDownload, "file"}
	DownloadFiles   = Fact{MigrateDownload, "files"}
	DownloadTakenAt = Fact{MigrateDownload, "taken_at"}

	LoadKeys = Fact{MigrateLoad, "keys"}

	ParitySampled     = Fact{MigrateParity, "sampled"}
	ParityDifferences = Fact{MigrateParity, "differences"}

	SwapValue    = Fact{CutoverCname, "value"}
	SwapPrevious = Fact{CutoverCname, "previous"}

	FailoverDNSPointsAtReplica = Fact{VerifyFailover, "dns_points_at_replica"}

	BackupKey    = Fact{VerifyBackup, "key"}
	BackupBucket = Fact{VerifyBackup, "bucket"}
	BackupBytes  = Fact{VerifyBackup, "bytes"}
)

// ParitySnapshotDB is the key count migrate.parity found for db in the
// snapshot, which verify.data compares against later.
func ParitySnapshotDB(db int) Fact {
	return Fact{MigrateParity, "snapshot_db" + strconv.Itoa(db)}
}

// ChangeID is the Route53 change a DNS step submitted.
func ChangeID(step StepID) Fact { return Fact{step, "change_id"} }

// Put records a fact in a result's outputs. The fact must be of the step
// whose result this is: only that step's name is stored.
func (r *Result) Put(f Fact, v string) {
	if r.Outputs == nil {
		r.Outputs = map[string]string{}
	}
	r.Outputs[f.Name] = v
}

// Fact is a fact recorded so far, or "" (also when there is no state).
func (e *Env) Fact(f Fact) string {
	if e.State == nil {
		return ""
	}
	return e.State.Facts[f]
}

// Record stores a step's outputs as its facts, as a succeeded result does.
func (f Facts) Record(step StepID, outputs map[string]string) {
	for k, v := range outputs {
		f[Fact{step, k}] = v
	}
}

// The cost case (inventory.cost): monthly USD of each side, the verdict,
// the break-even and the playbook's rule, for the journal and the report.
var (
	CostManaged   = Fact{InventoryCost, "managed_monthly"}
	CostSelf      = Fact{InventoryCost, "self_managed_monthly"}
	CostVerdict   = Fact{InventoryCost, "verdict"}
	CostBreakEven = Fact{InventoryCost, "break_even"}
	CostRule      = Fact{InventoryCost, "playbook_rule"}
)
