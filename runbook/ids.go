package runbook

import "strings"

// StepID names a step. Code outside the definition uses these constants,
// so a renamed step fails to compile instead of failing at run time.
type StepID string

// The runbook's steps, in order.
const (
	InventoryDiscover   StepID = "inventory.discover"
	InventoryCost       StepID = "inventory.cost"
	InventoryAuth       StepID = "inventory.auth"
	InventoryTLS        StepID = "inventory.tls"
	InventoryHA         StepID = "inventory.ha"
	InventoryMonitoring StepID = "inventory.monitoring"
	InventoryBackup     StepID = "inventory.backup"
	InventoryGlobal     StepID = "inventory.global"
	InventoryUpgrades   StepID = "inventory.upgrades"
	InventoryBaseline   StepID = "inventory.baseline"
	BuildReachable      StepID = "build.reachable"
	BuildACL            StepID = "build.acl"
	BuildUsers          StepID = "build.users"
	BuildTLS            StepID = "build.tls"
	BuildPersistence    StepID = "build.persistence"
	BuildReplication    StepID = "build.replication"
	BuildSentinel       StepID = "build.sentinel"
	BuildCluster        StepID = "build.cluster"
	BuildMemory         StepID = "build.memory"
	BuildDatabases      StepID = "build.databases"
	BuildKeyspaceEvents StepID = "build.keyspace_events"
	BuildCommands       StepID = "build.commands"
	BuildScripts        StepID = "build.scripts"
	BuildVersion        StepID = "build.version"
	BuildMonitoring     StepID = "build.monitoring"
	BuildBackup         StepID = "build.backup"
	BuildDNS            StepID = "build.dns"
	MigrateStrategy     StepID = "migrate.strategy"
	MigrateSnapshot     StepID = "migrate.snapshot"
	MigrateExport       StepID = "migrate.export"
	MigrateDownload     StepID = "migrate.download"
	MigrateLoad         StepID = "migrate.load"
	MigrateParity       StepID = "migrate.parity"
	MigrateDualwrite    StepID = "migrate.dualwrite"
	MigrateLive         StepID = "migrate.live"
	CutoverGonogo       StepID = "cutover.gonogo"
	CutoverCname        StepID = "cutover.cname"
	CutoverStragglers   StepID = "cutover.stragglers"
	CutoverRestart      StepID = "cutover.restart"
	CutoverWatch        StepID = "cutover.watch"
	VerifyConnect       StepID = "verify.connect"
	VerifyData          StepID = "verify.data"
	VerifyPerformance   StepID = "verify.performance"
	VerifyFailover      StepID = "verify.failover"
	VerifyBackup        StepID = "verify.backup"
	VerifyDecommission  StepID = "verify.decommission"
	RollbackCname       StepID = "rollback.cname"
)

// JoinIDs reads ids separated by sep, as strings.Join does.
func JoinIDs(ids []StepID, sep string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, sep)
}
