package lab

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// writeFiles writes the secrets, cutover.yaml and lab.env.
func (l *Lab) writeFiles() error {
	secrets := filepath.Join(l.Dir, "secrets")
	if err := os.MkdirAll(secrets, 0o700); err != nil {
		return fmt.Errorf("lab: create %s: %w", secrets, err)
	}
	files := map[string]string{"source.pass": l.Source.Password, "target.pass": l.Target.Password}
	for name, pw := range l.UserPasswords {
		files[name+".pass"] = pw
	}
	for name, pw := range files {
		if err := writeFile(filepath.Join(secrets, name), pw+"\n", 0o600); err != nil {
			return err
		}
	}
	var cfg bytes.Buffer
	if err := configTemplate.Execute(&cfg, l); err != nil {
		return fmt.Errorf("lab: render cutover.yaml: %w", err)
	}
	l.ConfigPath = filepath.Join(l.Dir, "cutover.yaml")
	if err := writeFile(l.ConfigPath, cfg.String(), 0o644); err != nil {
		return err
	}
	l.EnvPath = filepath.Join(l.Dir, "lab.env")
	return writeFile(l.EnvPath, l.env(), 0o600) // holds the passwords
}

// writeFile replaces path atomically, so a reader never sees half a file.
func writeFile(path, content string, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), mode); err != nil {
		return fmt.Errorf("lab: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("lab: write %s: %w", path, err)
	}
	return nil
}

// SentinelAddrs returns the sentinels' host:port addresses.
func (l *Lab) SentinelAddrs() []string {
	addrs := make([]string, len(l.Sentinels))
	for i, s := range l.Sentinels {
		addrs[i] = s.Addr()
	}
	return addrs
}

// ControlURL is the base URL of the lab's control endpoints.
func (l *Lab) ControlURL() string { return l.AWS.URL() + ControlPath }

// env renders lab.env: NAME=value lines for a shell to source.
func (l *Lab) env() string {
	var b strings.Builder
	b.WriteString("# cutover practice lab; use it with: . " + shellQuote(l.EnvPath) + "\n")
	servers := [][2]string{
		{"SOURCE_ADDR", l.Source.Addr()},
		{"SOURCE_PASSWORD", l.Source.Password},
		{"TARGET_PRIMARY_ADDR", l.Target.Addr()},
		{"TARGET_PASSWORD", l.Target.Password},
	}
	if l.Cluster {
		servers = append(servers, [2]string{"SOURCE_NODES", strings.Join(l.SourceCluster.Addrs(), ",")},
			[2]string{"TARGET_NODES", strings.Join(l.TargetCluster.Addrs(), ",")})
	} else {
		servers = append(servers, [2]string{"TARGET_REPLICA_ADDR", l.Replica.Addr()},
			[2]string{"SENTINEL_ADDRS", strings.Join(l.SentinelAddrs(), ",")}, [2]string{"SENTINEL_MASTER", Master})
	}
	for _, kv := range append(servers, [][2]string{
		{"EXPORTER_URL", l.Exporter.URL()},
		{"AWS_ENDPOINT_URL", l.AWS.URL()},
		{"AWS_REGION", Region},
		// The stand-in takes any credentials; these let the aws CLI and
		// SDKs sign requests to it.
		{"AWS_ACCESS_KEY_ID", "lab"},
		{"AWS_SECRET_ACCESS_KEY", "lab"},
		{"DNS_ADDR", l.DNS.Addr()},
		{"CNAME", CNAME},
		{"LAB_DIR", l.Dir},
	}...) {
		b.WriteString(kv[0] + "=" + shellQuote(kv[1]) + "\n")
	}
	if l.Serverless {
		b.WriteString("# the serverless (TLS) endpoint cutover uses, as user " + SourceUser + " with SOURCE_PASSWORD\n")
		for _, kv := range [][2]string{{"SOURCE_TLS_ADDR", l.SourceTLS}, {"SOURCE_CA_FILE", l.CAFile}} {
			b.WriteString(kv[0] + "=" + shellQuote(kv[1]) + "\n")
		}
	}
	return b.String()
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]*$`)

func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// The config follows the cutover.yaml schema; strings go through q (a
// double-quoted YAML scalar) so a path with odd characters stays valid.
var configTemplate = template.Must(template.New("cutover.yaml").Funcs(template.FuncMap{
	"q":                strconv.Quote,
	"replicationGroup": func() string { return ReplicationGroup },
	"serverlessCache":  func() string { return ServerlessCache },
	"sourceUser":       func() string { return SourceUser },
	"master":           func() string { return Master },
	"region":           func() string { return Region },
	"bucket":           func() string { return Bucket },
	"zoneID":           func() string { return ZoneID },
	"cname":            func() string { return CNAME },
	"sourceName":       func() string { return SourceName },
	"targetName":       func() string { return TargetName },
	"users":            func() []struct{ Name, Rules string } { return Users },
	"windowStart":      func() string { return time.Now().UTC().Truncate(time.Minute).Format(time.RFC3339) },
}).Parse(`# Written by the cutover practice lab ({{.Block}}). Passwords are in secrets/.
journal: cutover.journal
log: cutover.log
poll_interval: 1s

source:
{{- if .Serverless}}
  kind: elasticache-serverless
  url: {{q (print "rediss://" .SourceTLS)}}
  username: {{q sourceUser}}
  password_file: secrets/source.pass
  serverless_cache: {{q serverlessCache}}
  tls:
    ca_file: {{q .CAFile}}
{{- else}}
  kind: elasticache
  url: {{q (print "redis://" .Source.Addr)}}
  password_file: secrets/source.pass
  replication_group: {{q replicationGroup}}
{{- end}}

target:
{{- if .Cluster}}
  # A seed node of the Redis Cluster: cutover reads the others from it.
  kind: cluster
  url: {{q (print "redis://" .Target.Addr)}}
  password_file: secrets/target.pass
  # Where each node runs, for build.cluster's replica placement.
  zones:{{range $host, $zone := .TargetZones}}
    {{q $host}}: {{q $zone}}{{end}}
{{- else}}
  kind: sentinel
  url: {{q (print "redis://" .Target.Addr)}}
  password_file: secrets/target.pass
  sentinel:
    master: {{q master}}
    addrs:{{range .SentinelAddrs}}
      - {{q .}}{{end}}
  replicas:
    - {{q (print "redis://" .Replica.Addr)}}
{{- end}}
  data_dir: {{q .Target.Dir}}
  exporter_url: {{q .Exporter.URL}}
  users:{{range users}}
    - name: {{q .Name}}
      password_file: {{q (print "secrets/" .Name ".pass")}}{{end}}

aws:
  region: {{q region}}
  endpoint: {{q .AWS.URL}}

s3:
  bucket: {{q bucket}}
  prefix: cutover/

dns:
  provider: route53
  hosted_zone_id: {{q zoneID}}
  record: {{q cname}}
  source_value: {{q sourceName}}
  target_value: {{q targetName}}
  ttl: 30
  resolver: {{q .DNS.Addr}}

# Shorter windows than production, for a brisk rehearsal; and a wider
# latency margin and slack: every server, the app and the console share one
# machine, whose scheduler stalls any of them for a few ms now and then.
thresholds:
  parity_tolerance: 0.001
  sample_keys: 1000
  ttl_tolerance: 5s
  latency_margin: 1.0
  latency_slack: 5ms
  hit_rate_margin: 0.05
  watch_duration: 30s
  convergence: 0.99
  baseline_window: 10s
  stragglers_quiet: 5s
  stragglers_timeout: 1m

# The change window, booked from when the lab started. The application's
# EVALSHA mode (POST /_lab/app/evalsha) breaks the first criterion after
# the swap: its script was loaded on the source only.
window:
  start: {{q (windowStart)}}
  length: 4h
  abort:
    - target.errorstat_NOSCRIPT > 0
    - source.connected_clients > 20 after cutover.cname + 10m

lab:
  control_url: {{q .ControlURL}}
`))
