package runbook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// minimal is the smallest valid config; bad configs below are it with one
// thing wrong, so the line numbers in their messages are easy to check. A
// missing field is reported at the first line of its section.
const minimal = `source:
  kind: redis
  url: redis://127.0.0.1:7001
  password_env: SRC_PW
target:
  kind: standalone
  url: redis://127.0.0.1:7002
  password_env: DST_PW
`

// sentinelTarget replaces minimal's target (lines 5-8) with a sentinel one.
const sentinelTarget = `source:
  kind: redis
  url: redis://127.0.0.1:7001
  password_env: SRC_PW
target:
  kind: sentinel
  url: redis://127.0.0.1:7002
  password_env: DST_PW
`

// serverlessSource is minimal with an ElastiCache Serverless source.
const serverlessSource = `source:
  kind: elasticache-serverless
  url: rediss://lab-cache-abc123.serverless.use1.cache.amazonaws.com:6379
  password_env: SRC_PW
  serverless_cache: cache-prod
target:
  kind: standalone
  url: redis://127.0.0.1:7002
  password_env: DST_PW
aws:
  region: us-east-1
s3:
  bucket: snapshots
`

// elasticacheSource is minimal with an ElastiCache source.
const elasticacheSource = `source:
  kind: elasticache
  url: rediss://master.cache.use1.cache.amazonaws.com:6379
  password_env: SRC_PW
  replication_group: cache-prod
target:
  kind: standalone
  url: redis://127.0.0.1:7002
  password_env: DST_PW
aws:
  region: us-east-1
s3:
  bucket: snapshots
`

func TestBadConfigs(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		env  map[string]string // SRC_PW and DST_PW are set unless env says otherwise
		want string            // FILE is the config's path, DIR its directory
	}{
		// Not YAML, or not the right shape.
		{name: "unclosed list", yaml: "source: [\n", want: "FILE:1: sequence end token ']' not found"},
		{name: "tab indentation", yaml: "\tsource: 1\n", want: "FILE:1: tab character cannot use as a map key directly"},
		{name: "a list instead of a mapping", yaml: "- source\n- target\n", want: "FILE:1: the file is a sequence where a mapping is expected"},
		{name: "empty file", yaml: "", want: "FILE: source.kind: missing; set it to one of elasticache, elasticache-serverless, redis"},
		{name: "unknown field", yaml: minimal + "bogus: 1\n", want: `FILE:9: unknown field "bogus" (see the config reference in the README)`},
		{name: "unknown nested field", yaml: strings.Replace(minimal, "  password_env: SRC_PW\n", "  password_env: SRC_PW\n  pasword_file: x\n", 1),
			want: `FILE:5: unknown field "pasword_file" (see the config reference in the README)`},
		{name: "duplicate key", yaml: minimal + "source:\n  kind: redis\n", want: `FILE:9: mapping key "source" already defined at [1:1]`},
		{name: "text for a number", yaml: minimal + "dns:\n  ttl: thirty\n", want: `FILE:10: dns.ttl: "thirty" is not a whole number`},
		{name: "number too large", yaml: minimal + "dns:\n  ttl: 99999999999999999999\n", want: "FILE:10: dns.ttl: 99999999999999999999 is too large"},
		{name: "fraction for a whole number", yaml: minimal + "dns:\n  ttl: 2.9\n", want: "FILE:10: dns.ttl: 2.9 is not a whole number"},
		{name: "fractional sample size", yaml: minimal + "thresholds:\n  sample_keys: 1.5\n", want: "FILE:10: thresholds.sample_keys: 1.5 is not a whole number"},
		{name: "text for a fraction", yaml: minimal + "thresholds:\n  parity_tolerance: tiny\n", want: `FILE:10: thresholds.parity_tolerance: "tiny" is not a number`},
		{name: "list for a string", yaml: minimal + "operator: [alice, bob]\n", want: "FILE:9: operator: is a list, not a string"},
		{name: "string for a section", yaml: minimal + "s3: my-bucket\n", want: "FILE:9: s3: is a string where a mapping is expected"},
		{name: "not a boolean", yaml: strings.Replace(minimal, "redis://127.0.0.1:7001\n", "rediss://127.0.0.1:7001\n  tls:\n    insecure_skip_verify: maybe\n", 1),
			want: `FILE:5: source.tls.insecure_skip_verify: "maybe" is not true or false`},
		{name: "duration without a unit", yaml: minimal + "poll_interval: 5\n", want: `FILE:9: poll_interval: "5" is not a duration; write it like 1s, 500ms or 2m`},
		{name: "duration as a list", yaml: minimal + "thresholds:\n  watch_duration: [1m]\n", want: "FILE:10: thresholds.watch_duration: is not a single value; write a duration like 1s, 500ms or 2m"},

		// Top level.
		{name: "poll interval too short", yaml: minimal + "poll_interval: 10ms\n", want: "FILE:9: poll_interval: 10ms is out of range; use between 100ms and 1m"},
		{name: "log is the journal", yaml: minimal + "journal: run/cutover.journal\nlog: ./run/cutover.journal\n",
			want: "FILE:10: log: is the journal file; give the log its own path, like cutover.log"},
		{name: "lab without its control URL", yaml: minimal + "lab: {}\n", want: "FILE:9: lab.control_url: missing; the lab writes this section: run cutover lab again, or remove lab"},

		// Source.
		{name: "unknown source kind", yaml: strings.Replace(minimal, "kind: redis", "kind: memcached", 1), want: `FILE:2: source.kind: "memcached" is not one of elasticache, elasticache-serverless, redis`},
		{name: "source without a URL", yaml: strings.Replace(minimal, "  url: redis://127.0.0.1:7001\n", "", 1),
			want: "FILE:2: source.url: missing; write it as redis://host:port or rediss://host:port"},
		{name: "source URL with another scheme", yaml: strings.Replace(minimal, "redis://127.0.0.1:7001", "http://127.0.0.1:7001", 1),
			want: `FILE:3: source.url: scheme "http" is not redis:// or rediss://`},
		{name: "source URL with a password", yaml: strings.Replace(minimal, "redis://127.0.0.1:7001", "redis://app:hunter2@127.0.0.1:7001", 1),
			want: "FILE:3: source.url: holds a password; secrets are never inline: use password_env or password_file"},
		{name: "source URL without a port", yaml: strings.Replace(minimal, "redis://127.0.0.1:7001", "redis://127.0.0.1", 1),
			want: "FILE:3: source.url: needs a host and a port, like redis://host:6379"},
		{name: "source URL with a bad port", yaml: strings.Replace(minimal, "redis://127.0.0.1:7001", "redis://127.0.0.1:70000", 1),
			want: `FILE:3: source.url: port "70000" is not between 1 and 65535`},
		{name: "source URL selecting a database", yaml: strings.Replace(minimal, "redis://127.0.0.1:7001", "redis://127.0.0.1:7001/3", 1),
			want: "FILE:3: source.url: selects database 3; cutover migrates every database, so leave the path out"},
		{name: "inline password", yaml: strings.Replace(minimal, "password_env: SRC_PW", "password: hunter2", 1),
			want: "FILE:4: source.password: secrets are never inline; use password_env (an environment variable name) or password_file (a path)"},
		{name: "two password references", yaml: strings.Replace(minimal, "password_env: SRC_PW", "password_env: SRC_PW\n  password_file: pw.txt", 1),
			want: "FILE:4: source.password_env: give password_env or password_file, not both"},
		{name: "password variable not set", yaml: minimal, env: map[string]string{"DST_PW": "d"},
			want: "FILE:4: source.password_env: environment variable SRC_PW is not set; export it before running cutover"},
		{name: "password file missing", yaml: strings.Replace(minimal, "password_env: SRC_PW", "password_file: nope.txt", 1),
			want: "FILE:4: source.password_file: cannot read DIR/nope.txt: no such file or directory"},
		{name: "password file empty", yaml: strings.Replace(minimal, "password_env: SRC_PW", "password_file: empty.txt", 1),
			want: "FILE:4: source.password_file: DIR/empty.txt is empty"},
		{name: "no password at all", yaml: strings.Replace(minimal, "  password_env: SRC_PW\n", "", 1),
			want: "FILE:2: source.password_env: missing; give the password by reference with password_env or password_file"},
		{name: "TLS settings on redis://", yaml: strings.Replace(minimal, "password_env: SRC_PW", "password_env: SRC_PW\n  tls:\n    server_name: cache", 1),
			want: "FILE:6: source.tls: TLS settings need a rediss:// URL"},
		{name: "IAM on a self-managed source", yaml: strings.Replace(minimal, "  password_env: SRC_PW\n", "  iam: true\n  username: app\n", 1),
			want: "FILE:4: source.iam: IAM authentication exists only for an elasticache or elasticache-serverless source"},
		{name: "IAM without a user", yaml: strings.Replace(elasticacheSource, "  password_env: SRC_PW\n", "  iam: true\n", 1),
			want: "FILE:2: source.username: missing; IAM authentication connects as an ElastiCache user (its user ID)"},
		{name: "IAM without TLS", yaml: strings.Replace(strings.Replace(elasticacheSource, "  password_env: SRC_PW\n", "  iam: true\n  username: app\n", 1), "rediss://", "redis://", 1),
			want: "FILE:3: source.url: IAM authentication needs in-transit encryption: use a rediss:// URL"},
		{name: "IAM and a password", yaml: strings.Replace(elasticacheSource, "  password_env: SRC_PW\n", "  password_env: SRC_PW\n  iam: true\n  username: app\n", 1),
			want: "FILE:5: source.iam: IAM tokens replace the password: remove the password settings"},
		{name: "IAM on the target", yaml: strings.Replace(minimal, "  password_env: DST_PW\n", "  password_env: DST_PW\n  iam: true\n", 1),
			want: "FILE:9: target.iam: only an elasticache source uses IAM authentication; the target takes password_env or password_file"},
		{name: "ElastiCache without a replication group", yaml: strings.Replace(elasticacheSource, "  replication_group: cache-prod\n", "", 1),
			want: "FILE:2: source.replication_group: missing; an elasticache source needs its replication group ID (aws elasticache describe-replication-groups)"},
		{name: "ElastiCache without a region", yaml: strings.Replace(elasticacheSource, "aws:\n  region: us-east-1\n", "", 1),
			want: "FILE: aws.region: missing; an elasticache source needs the AWS region (or set AWS_REGION)"},
		{name: "ElastiCache without a bucket", yaml: strings.Replace(elasticacheSource, "s3:\n  bucket: snapshots\n", "", 1),
			want: "FILE: s3.bucket: missing; exporting an ElastiCache snapshot needs a bucket in the same region"},
		{name: "replication group on a self-managed source", yaml: strings.Replace(minimal, "password_env: SRC_PW", "password_env: SRC_PW\n  replication_group: x", 1),
			want: "FILE:5: source.replication_group: only an elasticache source has a replication group"},

		{name: "serverless without its cache name", yaml: strings.Replace(serverlessSource, "  serverless_cache: cache-prod\n", "", 1),
			want: "FILE:2: source.serverless_cache: missing; an elasticache-serverless source needs its cache name (aws elasticache describe-serverless-caches)"},
		{name: "serverless cache name with capitals", yaml: strings.Replace(serverlessSource, "serverless_cache: cache-prod", "serverless_cache: Cache_Prod", 1),
			want: `FILE:5: source.serverless_cache: "Cache_Prod" is not a serverless cache name (up to 40 lower-case letters, digits and single hyphens, starting with a letter)`},
		{name: "serverless without TLS", yaml: strings.Replace(serverlessSource, "rediss://", "redis://", 1),
			want: "FILE:3: source.url: a serverless cache accepts only TLS connections: use rediss://"},
		{name: "serverless with a replication group", yaml: strings.Replace(serverlessSource, "  serverless_cache: cache-prod\n", "  serverless_cache: cache-prod\n  replication_group: cache-prod\n", 1),
			want: "FILE:6: source.replication_group: a serverless cache has no replication group; serverless_cache names it"},
		{name: "serverless without a region", yaml: strings.Replace(serverlessSource, "aws:\n  region: us-east-1\n", "", 1),
			want: "FILE: aws.region: missing; an elasticache-serverless source needs the AWS region (or set AWS_REGION)"},
		{name: "serverless without a bucket", yaml: strings.Replace(serverlessSource, "s3:\n  bucket: snapshots\n", "", 1),
			want: "FILE: s3.bucket: missing; exporting an ElastiCache snapshot needs a bucket in the same region"},
		{name: "serverless cache on a replication group source", yaml: strings.Replace(elasticacheSource, "  replication_group: cache-prod\n", "  replication_group: cache-prod\n  serverless_cache: cache-prod\n", 1),
			want: "FILE:6: source.serverless_cache: only an elasticache-serverless source has a serverless cache; set source.kind: elasticache-serverless or remove this"},
		{name: "serverless cache on the target", yaml: minimal + "  serverless_cache: x\n",
			want: "FILE:9: target.serverless_cache: the target is self-managed and is no serverless cache"},

		// Target.
		{name: "unknown target kind", yaml: strings.Replace(minimal, "kind: standalone", "kind: replicated", 1),
			want: `FILE:6: target.kind: "replicated" is not one of standalone, sentinel, cluster`},
		{name: "target is the source", yaml: strings.Replace(minimal, "redis://127.0.0.1:7002", "redis://127.0.0.1:7001", 1),
			want: "FILE:7: target.url: is the same server as source.url; the target must be another server, or loading it would overwrite the source"},
		{name: "target password variable not set", yaml: minimal, env: map[string]string{"SRC_PW": "s"},
			want: "FILE:8: target.password_env: environment variable DST_PW is not set; export it before running cutover"},
		{name: "target CA file missing", yaml: strings.Replace(minimal, "redis://127.0.0.1:7002\n", "rediss://127.0.0.1:7002\n  tls:\n    ca_file: certs/ca.pem\n", 1),
			want: "FILE:9: target.tls.ca_file: cannot read DIR/certs/ca.pem: no such file or directory"},
		{name: "zones on a standalone target", yaml: minimal + "  zones:\n    10.0.0.1: us-east-1a\n",
			want: "FILE:10: target.zones: only a cluster target's nodes are given zones; set target.kind: cluster or remove this"},
		{name: "a node without a zone", yaml: strings.Replace(minimal, "kind: standalone", "kind: cluster", 1) + "  zones:\n    10.0.0.1: \"\"\n",
			want: `FILE:10: target.zones: "10.0.0.1": "": give a node's host (or host:port) and its zone, e.g. 10.0.1.5: us-east-1a`},
		{name: "target with a replication group", yaml: minimal + "  replication_group: x\n",
			want: "FILE:9: target.replication_group: the target is self-managed and has no replication group"},
		{name: "sentinel target without a master", yaml: sentinelTarget + "  sentinel:\n    addrs: [127.0.0.1:26379]\n",
			want: "FILE:10: target.sentinel.master: missing; a sentinel target needs the master name the sentinels monitor"},
		{name: "sentinel target without sentinels", yaml: sentinelTarget + "  sentinel:\n    master: cache\n",
			want: "FILE:10: target.sentinel.addrs: missing; list the sentinels as host:port"},
		{name: "sentinel address without a port", yaml: sentinelTarget + "  sentinel:\n    master: cache\n    addrs:\n      - 127.0.0.1:26379\n      - 127.0.0.1\n",
			want: `FILE:13: target.sentinel.addrs[1]: "127.0.0.1" is not host:port`},
		{name: "sentinel address with port 0", yaml: sentinelTarget + "  sentinel:\n    master: cache\n    addrs: [127.0.0.1:0]\n",
			want: `FILE:11: target.sentinel.addrs[0]: port "0" is not between 1 and 65535`},
		{name: "sentinels on a standalone target", yaml: minimal + "  sentinel:\n    master: cache\n",
			want: "FILE:10: target.sentinel: only a sentinel target has sentinels; set target.kind: sentinel or remove this"},
		{name: "replica with a bad scheme", yaml: minimal + "  replicas: [tcp://127.0.0.1:7003]\n",
			want: `FILE:9: target.replicas[0]: scheme "tcp" is not redis:// or rediss://`},
		{name: "exporter URL not http", yaml: minimal + "  exporter_url: 127.0.0.1:9121\n",
			want: `FILE:9: target.exporter_url: "127.0.0.1:9121" is not an http(s) URL`},
		{name: "user without a name", yaml: minimal + "  users:\n    - password_env: DST_PW\n",
			want: "FILE:10: target.users[0].name: missing; the ACL user's name, as ACL LIST shows it"},
		{name: "user without a password", yaml: minimal + "  users:\n    - name: app\n",
			want: "FILE:10: target.users[0].password_env: missing; give the password by reference with password_env or password_file"},
		{name: "user password variable not set", yaml: minimal + "  users:\n    - name: app\n      password_env: APP_PW\n",
			want: "FILE:11: target.users[0].password_env: environment variable APP_PW is not set; export it before running cutover"},
		{name: "user password inline", yaml: minimal + "  users:\n    - name: app\n      password: hunter2\n",
			want: "FILE:11: target.users[0].password: secrets are never inline; use password_env (an environment variable name) or password_file (a path)"},
		{name: "user listed twice", yaml: minimal + "  users:\n    - name: app\n      password_env: DST_PW\n    - name: app\n      password_file: pw.txt\n",
			want: "FILE:12: target.users[1].name: app is listed twice"},
		{name: "default user in users", yaml: minimal + "  users:\n    - name: default\n      password_env: DST_PW\n",
			want: "FILE:10: target.users[0].name: the default user's password is target.password_env or target.password_file"},

		// AWS and S3.
		{name: "AWS endpoint not http", yaml: minimal + "aws:\n  endpoint: localhost:4566\n", want: `FILE:10: aws.endpoint: "localhost:4566" is not an http(s) URL`},
		{name: "bad bucket name", yaml: minimal + "s3:\n  bucket: My_Bucket\n",
			want: `FILE:10: s3.bucket: "My_Bucket" is not a valid bucket name (3-63 lower-case letters, digits, dots and hyphens)`},
		{name: "prefix with a leading slash", yaml: minimal + "s3:\n  bucket: snapshots\n  prefix: /prod\n", want: "FILE:11: s3.prefix: must not start with /"},

		// DNS.
		{name: "record without a hosted zone", yaml: minimal + "dns:\n  record: cache.example.internal\n",
			want: "FILE:10: dns.hosted_zone_id: missing; the Route53 hosted zone that holds dns.record"},
		{name: "unknown DNS provider", yaml: minimal + "dns:\n  provider: cloudflare\n  hosted_zone_id: Z1\n",
			want: `FILE:10: dns.provider: "cloudflare" is not one of route53`},
		{name: "record that is not a name", yaml: minimal + "dns:\n  hosted_zone_id: Z1\n  record: cache example\n",
			want: `FILE:11: dns.record: "cache example" is not a DNS name`},
		{name: "no source value", yaml: minimal + "dns:\n  hosted_zone_id: Z1\n  record: cache.example.internal\n",
			want: "FILE:10: dns.source_value: missing; a DNS name like cache.example.internal"},
		{name: "swap to the same value", yaml: minimal + "dns:\n  hosted_zone_id: Z1\n  record: cache.example.internal\n  source_value: old.example.internal\n  target_value: OLD.example.internal.\n",
			want: "FILE:13: dns.target_value: is the same as dns.source_value; the swap would change nothing"},
		{name: "TTL out of range", yaml: minimal + "dns:\n  hosted_zone_id: Z1\n  record: a.b\n  source_value: c.d\n  target_value: e.f\n  ttl: 100000\n",
			want: "FILE:14: dns.ttl: 100000 is out of range; use 1 to 86400 seconds (30 is usual for a cutover)"},
		{name: "resolver without a port", yaml: minimal + "dns:\n  hosted_zone_id: Z1\n  record: a.b\n  source_value: c.d\n  target_value: e.f\n  resolver: 10.0.0.2\n",
			want: `FILE:14: dns.resolver: "10.0.0.2" is not host:port`},

		// Cost assumptions.
		{name: "negative hourly rate", yaml: minimal + "cost:\n  hourly_rate: -5\n",
			want: "FILE:10: cost.hourly_rate: -5 is negative; give the hours or the rate as a number of 0 or more"},
		{name: "no clusters", yaml: minimal + "cost:\n  clusters: -1\n",
			want: "FILE:10: cost.clusters: -1 is out of range; count the clusters the team runs, at least 1"},
		{name: "fractional clusters", yaml: minimal + "cost:\n  clusters: 2.5\n",
			want: "FILE:10: cost.clusters: 2.5 is not a whole number"},
		{name: "fork headroom below 1", yaml: minimal + "cost:\n  fork_headroom: 0.5\n",
			want: "FILE:10: cost.fork_headroom: 0.5 is out of range; use 1 (no persistence) to 2 (a fork under heavy writes), at most 3"},
		{name: "not an instance family", yaml: minimal + "cost:\n  ec2_families: [r7g, cache.r7g]\n",
			want: `FILE:10: cost.ec2_families: entry 1, "cache.r7g", is not an EC2 instance family; write families like r7g or m7i`},

		// Thresholds.
		{name: "parity tolerance above 1", yaml: minimal + "thresholds:\n  parity_tolerance: 1.5\n",
			want: "FILE:10: thresholds.parity_tolerance: 1.5 is out of range; use a fraction between 0 and 1"},
		{name: "negative hit rate margin", yaml: minimal + "thresholds:\n  hit_rate_margin: -0.1\n",
			want: "FILE:10: thresholds.hit_rate_margin: -0.1 is out of range; use a fraction between 0 and 1"},
		{name: "convergence above 1", yaml: minimal + "thresholds:\n  convergence: 1.2\n",
			want: "FILE:10: thresholds.convergence: 1.2 is out of range; use a fraction above 0 and at most 1"},
		{name: "latency margin too large", yaml: minimal + "thresholds:\n  latency_margin: 25\n",
			want: "FILE:10: thresholds.latency_margin: 25 is out of range; use a fraction such as 0.25"},
		{name: "too many sample keys", yaml: minimal + "thresholds:\n  sample_keys: 2000000\n",
			want: "FILE:10: thresholds.sample_keys: 2000000 is out of range; use 0 to 1000000"},
		{name: "negative TTL tolerance", yaml: minimal + "thresholds:\n  ttl_tolerance: -1s\n", want: "FILE:10: thresholds.ttl_tolerance: must not be negative"},
		{name: "latency slack too large", yaml: minimal + "thresholds:\n  latency_slack: 2s\n",
			want: "FILE:10: thresholds.latency_slack: 2s is out of range; use between 0 and 1s (0.5ms on a dedicated host, a few ms on a shared one)"},
		{name: "stragglers quiet too short", yaml: minimal + "thresholds:\n  stragglers_quiet: 10ms\n",
			want: "FILE:10: thresholds.stragglers_quiet: 10ms is too short; use at least 1s"},
		{name: "stragglers timeout below quiet", yaml: minimal + "thresholds:\n  stragglers_quiet: 1m\n  stragglers_timeout: 30s\n",
			want: "FILE:11: thresholds.stragglers_timeout: 30s is shorter than thresholds.stragglers_quiet (1m0s); give the check at least that long"},
		{name: "negative watch", yaml: minimal + "thresholds:\n  watch_duration: -2m\n", want: "FILE:10: thresholds.watch_duration: must not be negative"},
		// Notify.
		{name: "inline webhook URL", yaml: minimal + "notify:\n  webhook:\n    url: https://hooks.slack.com/services/T/B/X\n",
			want: "FILE:11: notify.webhook.url: secrets are never inline; use url_env (an environment variable name) or url_file (a path)"},
		{name: "webhook without a URL", yaml: minimal + "notify:\n  webhook: {}\n",
			want: "FILE:10: notify.webhook.url_env: missing; give the webhook URL by reference with url_env or url_file"},
		{name: "webhook URL variable not set", yaml: minimal + "notify:\n  webhook:\n    url_env: CHAT_HOOK\n",
			want: "FILE:11: notify.webhook.url_env: environment variable CHAT_HOOK is not set; export it before running cutover"},
		{name: "webhook URL not http", yaml: minimal + "notify:\n  webhook:\n    url_env: CHAT_HOOK\n",
			env:  map[string]string{"SRC_PW": "s", "DST_PW": "d", "CHAT_HOOK": "hooks.slack.com/services/T/B/X"},
			want: "FILE:11: notify.webhook.url_env: $CHAT_HOOK does not hold an http(s) URL; it should be the incoming webhook's URL, like https://hooks.slack.com/services/..."},
		{name: "webhook URL file not http", yaml: minimal + "notify:\n  webhook:\n    url_file: pw.txt\n",
			want: "FILE:11: notify.webhook.url_file: DIR/pw.txt does not hold an http(s) URL; it should be the incoming webhook's URL, like https://hooks.slack.com/services/..."},
		{name: "two webhook references", yaml: minimal + "notify:\n  webhook:\n    url_env: CHAT_HOOK\n    url_file: pw.txt\n",
			want: "FILE:11: notify.webhook.url_env: give url_env or url_file, not both"},
		{name: "inline routing key", yaml: minimal + "notify:\n  pagerduty:\n    routing_key: abc\n",
			want: "FILE:11: notify.pagerduty.routing_key: secrets are never inline; use routing_key_env (an environment variable name) or routing_key_file (a path)"},
		{name: "pagerduty without a routing key", yaml: minimal + "notify:\n  pagerduty:\n    endpoint: http://127.0.0.1:9/\n",
			want: "FILE:11: notify.pagerduty.routing_key_env: missing; give the integration's routing key by reference with routing_key_env or routing_key_file"},
		{name: "routing key file empty", yaml: minimal + "notify:\n  pagerduty:\n    routing_key_file: empty.txt\n",
			want: "FILE:11: notify.pagerduty.routing_key_file: DIR/empty.txt is empty"},
		{name: "pagerduty endpoint not http", yaml: minimal + "notify:\n  pagerduty:\n    routing_key_file: pw.txt\n    endpoint: events.pagerduty.com\n",
			want: `FILE:12: notify.pagerduty.endpoint: "events.pagerduty.com" is not an http(s) URL; leave it out for https://events.pagerduty.com/v2/change/enqueue`},
		{name: "unknown notify field", yaml: minimal + "notify:\n  slack:\n    url_env: X\n",
			want: `FILE:10: unknown field "slack" (see the config reference in the README)`},

		{name: "baseline window too short", yaml: minimal + "thresholds:\n  baseline_window: 500ms\n",
			want: "FILE:10: thresholds.baseline_window: 500ms is too short; use at least 1s"},
		// The change window.
		{name: "window time without zone", yaml: minimal + "window:\n  start: 2026-12-06 02:00\n  length: 4h\n",
			want: `FILE:10: window.start: "2026-12-06 02:00" is not a time; write it in RFC 3339 with its zone, like 2026-12-06T02:00:00Z or 2026-12-06T03:00:00+01:00`},
		{name: "window without end", yaml: minimal + "window:\n  start: 2026-12-06T02:00:00Z\n",
			want: "FILE:10: window.end: missing; give the window an end time, or its length (window.length: 4h)"},
		{name: "window end before start", yaml: minimal + "window:\n  start: 2026-12-06T02:00:00Z\n  end: 2026-12-06T01:00:00Z\n",
			want: "FILE:11: window.end: 2026-12-06T01:00:00Z is not after the start 2026-12-06T02:00:00Z"},
		{name: "rollback deadline outside", yaml: minimal + "window:\n  start: 2026-12-06T02:00:00Z\n  length: 2h\n  rollback_deadline: 2026-12-06T05:00:00Z\n",
			want: "FILE:12: window.rollback_deadline: 2026-12-06T05:00:00Z is outside the window (2026-12-06T02:00:00Z to 2026-12-06T04:00:00Z)"},
		{name: "bad abort criterion", yaml: minimal + "window:\n  abort:\n    - target.errorstat_NOSCRIPT > 0\n    - target.hit_rate is low\n",
			want: `FILE:12: window.abort[1]: "target.hit_rate is low" is not a criterion; write it like "target.errorstat_NOSCRIPT > 0", "target.hit_rate < baseline - 0.10 for 2m" or "source.connected_clients > 5 after cutover.cname + 10m"`},
		{name: "abort criterion on an unknown field", yaml: minimal + "window:\n  abort:\n    - target.conected_clients > 5\n",
			want: "FILE:11: window.abort[0]: target.conected_clients is not a figure cutover reads; use hit_rate, ops_per_sec, keys, memory_usage, latency_ms, errorstat_<ERROR> (like errorstat_NOSCRIPT) or an INFO field such as connected_clients"},
		{name: "abort criterion after an unknown step", yaml: minimal + "window:\n  abort:\n    - source.connected_clients > 5 after cutover.swap + 10m\n",
			want: `FILE:11: window.abort[0]: "source.connected_clients > 5 after cutover.swap + 10m": there is no step cutover.swap in the runbook (cutover plan lists them)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "cutover.yaml")
			if err := os.WriteFile(path, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "empty.txt"), []byte("\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "pw.txt"), []byte("not-a-url\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			e := c.env
			if e == nil {
				e = map[string]string{"SRC_PW": "s", "DST_PW": "d"}
			}
			_, err := LoadConfig(path, env(e))
			want := strings.NewReplacer("FILE", path, "DIR", dir).Replace(c.want)
			if err == nil || err.Error() != want {
				t.Fatalf("got  %v\nwant %s", err, want)
			}
			if _, ok := err.(*ConfigError); !ok {
				t.Fatalf("got a %T, want a *ConfigError", err)
			}
		})
	}
	if len(cases) < 30 {
		t.Fatalf("only %d bad configs", len(cases))
	}
}

func TestMissingConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cutover.yaml")
	_, err := LoadConfig(path, env(nil))
	want := path + ": no such file; pass --config with the path of your cutover.yaml (make lab writes one)"
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}

// A serverless source loads, with IAM too, and its region may come from
// AWS_REGION as an elasticache source's does.
func TestServerlessSourceConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cutover.yaml")
	yaml := strings.Replace(strings.Replace(serverlessSource, "  password_env: SRC_PW\n", "  iam: true\n  username: app\n", 1), "aws:\n  region: us-east-1\n", "", 1)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path, env(map[string]string{"DST_PW": "d", "AWS_REGION": "eu-west-1"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Source.Serverless() || !c.Source.ElastiCache() || c.Source.ServerlessCache != "cache-prod" || c.AWS.Region != "eu-west-1" || c.Source.AWS.Region != "eu-west-1" {
		t.Fatalf("source %+v, region %q", c.Source, c.AWS.Region)
	}
	if c.Target.Serverless() || c.Target.ElastiCache() {
		t.Fatalf("the target is %q, not ElastiCache", c.Target.Kind)
	}
}
