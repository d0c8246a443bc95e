package lab

// The lab's fixed names, as they appear in cutover.yaml and to the AWS
// stand-in.
const (
	ZoneID           = "Z0LAB"
	ZoneName         = "lab.internal."
	CNAME            = "cache.lab.internal" // the name the application uses
	SourceName       = "source.lab.internal"
	TargetName       = "target.lab.internal"
	ReplicaName      = "replica.lab.internal"
	ReplicationGroup = "lab-cache"
	ServerlessCache  = "lab-cache" // the serverless source's name (lab serve --serverless)
	Region           = "us-east-1"
	Bucket           = "lab-backups"
	Master           = "mymaster" // the master name the sentinels monitor

	// DefaultKeys is how many keys the source is seeded with.
	DefaultKeys = 200_000

	cnameTTL = 300 // not yet lowered: build.dns has something to do
	hostTTL  = 60
)

// Host numbers in the lab's 127.A.B.0/24 block.
const (
	hostSource  = 1
	hostTarget  = 2
	hostReplica = 3
	hostSentA   = 4 // sentinels on .4, .5, .6
	hostAWS     = 10
	hostExport  = 11 // the target primary's exporter
	hostDNS     = 53
)

// UserGroup is the stand-in's RBAC user group of the replication group.
const UserGroup = "lab-users"

// SourceUser is the user cutover logs in as on the serverless source, with
// the source password: ElastiCache Serverless refuses these commands to
// every user, and the lab's source does too (serverlessDenied).
const SourceUser = "cutover"

// serverlessRenamed are the commands the serverless source has not at all
// (rename-command to ""): ERR unknown command, as ElastiCache answers.
// SYNC and PSYNC stay for the stand-in's snapshots, which replicate from
// the source as the default user; serverlessDenied refuses them to users.
var serverlessRenamed = []string{"CONFIG", "BGSAVE", "BGREWRITEAOF", "LASTSAVE", "SAVE"}

// serverlessDenied is what each user of the serverless source may not run
// beside them (CLIENT takes no rename per subcommand).
const serverlessDenied = "-sync -psync -client|list -client|kill -monitor -debug"

// Users are the application users in UserGroup, by name with their ACL
// rules; the lab gives the source and the target each of them with one
// password (secrets/<name>.pass), so build.users passes on a correct build.
var Users = []struct{ Name, Rules string }{
	{"app", "~* +@all -@dangerous"},
	{"reporting", "~report:* +@read"},
}
