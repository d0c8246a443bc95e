package runbook

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Config is cutover.yaml. Secrets are only ever referenced (an environment
// variable or a file); their values are resolved at load into Secret.
type Config struct {
	Operator     string     `yaml:"operator"`
	Journal      string     `yaml:"journal"`
	Log          string     `yaml:"log"`
	PollInterval Duration   `yaml:"poll_interval"`
	Source       Endpoint   `yaml:"source"`
	Target       Target     `yaml:"target"`
	AWS          AWS        `yaml:"aws"`
	S3           S3         `yaml:"s3"`
	DNS          DNS        `yaml:"dns"`
	Thresholds   Thresholds `yaml:"thresholds"`
	Window       Window     `yaml:"window"`
	Notify       Notify     `yaml:"notify"`
	Cost         Cost       `yaml:"cost"`
	// Keys rebinds the console's actions: action name -> its keys
	// (KeyActions lists the names and defaults).
	Keys map[string][]string `yaml:"keys"`
	Lab  *Lab                `yaml:"lab"`

	// Path is the file it was loaded from; Dir its directory.
	Path string `yaml:"-"`
	Dir  string `yaml:"-"`
}

// Endpoint is a Redis server to reach, and how.
type Endpoint struct {
	Kind             string `yaml:"kind"`
	URL              string `yaml:"url"`
	Username         string `yaml:"username"`
	Secret           Secret `yaml:",inline"`
	ReplicationGroup string `yaml:"replication_group"`
	// ServerlessCache names the ElastiCache Serverless cache of an
	// elasticache-serverless source.
	ServerlessCache string `yaml:"serverless_cache"`
	TLS             TLS    `yaml:"tls"`
	// IAM authenticates to an ElastiCache source with short-lived IAM
	// tokens (a SigV4-presigned connect request) instead of a password.
	IAM bool `yaml:"iam"`
	// AWS is the config's aws section, copied here for IAM tokens.
	AWS AWS `yaml:"-"`
}

// Source kinds reached through the ElastiCache API.
const (
	KindElastiCache = "elasticache"            // a replication group
	KindServerless  = "elasticache-serverless" // a serverless cache
)

// ElastiCache reports whether the endpoint is managed by ElastiCache, a
// replication group or a serverless cache.
func (e Endpoint) ElastiCache() bool { return e.Kind == KindElastiCache || e.Kind == KindServerless }

// Serverless reports whether the endpoint is an ElastiCache Serverless
// cache: always TLS, cluster mode with one virtual shard, and no CONFIG,
// BGSAVE, LASTSAVE, CLIENT LIST or keyspace notifications.
func (e Endpoint) Serverless() bool { return e.Kind == KindServerless }

// Target is the self-managed side.
type Target struct {
	Endpoint    `yaml:",inline"`
	Sentinel    Sentinel `yaml:"sentinel"`
	Replicas    []string `yaml:"replicas"`
	DataDir     string   `yaml:"data_dir"`
	ExporterURL string   `yaml:"exporter_url"`
	// Users are the source's ACL users the target must have, each with
	// its password by reference (build.users logs in as each).
	Users []User `yaml:"users"`
	// Zones is each cluster node's availability zone by host (or
	// host:port), for build.cluster's check that every primary has a
	// replica in another zone.
	Zones map[string]string `yaml:"zones"`
}

// User is an application's ACL user on the target.
type User struct {
	Name   string `yaml:"name"`
	Secret Secret `yaml:",inline"`
}

// User returns the configured user called name.
func (t *Target) User(name string) (User, bool) {
	for _, u := range t.Users {
		if u.Name == name {
			return u, true
		}
	}
	return User{}, false
}

// Sentinel names the sentinels that watch the target.
type Sentinel struct {
	Master string   `yaml:"master"`
	Addrs  []string `yaml:"addrs"`
	Secret Secret   `yaml:",inline"`
}

// Secret is a password given by reference. Value is filled at load and is
// never marshalled.
type Secret struct {
	Inline string `yaml:"password"` // refused: secrets are never inline
	Env    string `yaml:"password_env"`
	File   string `yaml:"password_file"`
	Value  string `yaml:"-"`
}

// TLS settings for rediss:// URLs.
type TLS struct {
	CAFile             string `yaml:"ca_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// AWS is how to reach AWS: the normal credential chain, plus an endpoint
// used only by the lab and tests.
type AWS struct {
	Region   string `yaml:"region"`
	Profile  string `yaml:"profile"`
	Endpoint string `yaml:"endpoint"`
}

// S3 is where snapshots are exported and backups uploaded.
type S3 struct {
	Bucket string `yaml:"bucket"`
	Prefix string `yaml:"prefix"`
}

// DNS is the name clients use and how to swap it.
type DNS struct {
	Provider     string `yaml:"provider"`
	HostedZoneID string `yaml:"hosted_zone_id"`
	Record       string `yaml:"record"`
	SourceValue  string `yaml:"source_value"`
	TargetValue  string `yaml:"target_value"`
	TTL          int64  `yaml:"ttl"`
	Resolver     string `yaml:"resolver"`
}

// Thresholds are the pass conditions of the checks.
type Thresholds struct {
	ParityTolerance float64  `yaml:"parity_tolerance"`
	SampleKeys      int      `yaml:"sample_keys"`
	TTLTolerance    Duration `yaml:"ttl_tolerance"`
	LatencyMargin   float64  `yaml:"latency_margin"`
	// LatencySlack is the smallest p99 increase that counts: below it a
	// difference is scheduling noise, not a regression.
	LatencySlack   Duration `yaml:"latency_slack"`
	HitRateMargin  float64  `yaml:"hit_rate_margin"`
	WatchDuration  Duration `yaml:"watch_duration"`
	Convergence    float64  `yaml:"convergence"`
	BaselineWindow Duration `yaml:"baseline_window"`
	// StragglersQuiet is how long the source must have no application
	// connection for cutover.stragglers to pass; it gives up after
	// StragglersTimeout.
	StragglersQuiet   Duration `yaml:"stragglers_quiet"`
	StragglersTimeout Duration `yaml:"stragglers_timeout"`
	// LiveLag is the live sync lag under which migrate.live is done and
	// cutover.cname may pause the source.
	LiveLag Duration `yaml:"live_lag"`
	// LiveClients is how long cutover.cname keeps a live sync running
	// after the swap for the source's application clients to leave.
	LiveClients Duration `yaml:"live_clients_wait"`
}

// Notify is where the runbook's events are announced; each is off unless
// configured. A webhook URL and a routing key are secrets: they are given
// by reference, like passwords.
type Notify struct {
	Webhook   *Webhook   `yaml:"webhook"`
	PagerDuty *PagerDuty `yaml:"pagerduty"`
}

// Webhook is a Slack-compatible incoming webhook.
type Webhook struct {
	Inline string `yaml:"url"` // refused: the URL is the credential
	Env    string `yaml:"url_env"`
	File   string `yaml:"url_file"`
	URL    string `yaml:"-"`
}

// PagerDuty sends change events (Events API v2).
type PagerDuty struct {
	Inline     string `yaml:"routing_key"` // refused
	Env        string `yaml:"routing_key_env"`
	File       string `yaml:"routing_key_file"`
	Endpoint   string `yaml:"endpoint"`
	RoutingKey string `yaml:"-"`
}

// PagerDutyChangeURL is the change events endpoint; tests point
// notify.pagerduty.endpoint elsewhere.
const PagerDutyChangeURL = "https://events.pagerduty.com/v2/change/enqueue"

// Lab is present only in the practice lab's generated config.
type Lab struct {
	ControlURL string `yaml:"control_url"`
}

// Duration reads "1s", "2m".
type Duration struct{ time.Duration }

// UnmarshalYAML parses a Go duration string. It takes the node, not the
// bytes, so a bad value can be reported with its field and line.
func (d *Duration) UnmarshalYAML(n ast.Node) error {
	if _, scalar := n.(ast.ScalarNode); !scalar {
		return &nodeError{node: n, msg: "is not a single value; write a duration like 1s, 500ms or 2m"}
	}
	s := n.GetToken().Value
	v, err := time.ParseDuration(s)
	if err != nil {
		return &nodeError{node: n, msg: fmt.Sprintf("%q is not a duration; write it like 1s, 500ms or 2m", s)}
	}
	d.Duration = v
	return nil
}

// Defaults for fields left out.
func (c *Config) applyDefaults(getenv func(string) string) {
	orDefault(&c.Journal, "cutover.journal")
	orDefault(&c.Log, "cutover.log")
	orDefault(&c.DNS.Provider, "route53")
	orDefault(&c.PollInterval.Duration, time.Second)
	orDefault(&c.DNS.TTL, 30)
	t := &c.Thresholds
	orDefault(&t.ParityTolerance, 0.001)
	orDefault(&t.SampleKeys, 1000)
	orDefault(&t.TTLTolerance.Duration, 5*time.Second)
	orDefault(&t.LatencyMargin, 0.25)
	orDefault(&t.LatencySlack.Duration, 500*time.Microsecond)
	orDefault(&t.HitRateMargin, 0.05)
	orDefault(&t.WatchDuration.Duration, 2*time.Minute)
	orDefault(&t.Convergence, 0.99)
	orDefault(&t.BaselineWindow.Duration, 30*time.Second)
	orDefault(&t.StragglersQuiet.Duration, 30*time.Second)
	orDefault(&t.StragglersTimeout.Duration, 5*time.Minute)
	orDefault(&t.LiveLag.Duration, time.Second)
	orDefault(&t.LiveClients.Duration, 10*time.Minute)
	c.Cost.applyDefaults()
	if c.Notify.PagerDuty != nil {
		orDefault(&c.Notify.PagerDuty.Endpoint, PagerDutyChangeURL)
	}
	if c.Source.ElastiCache() && c.AWS.Region == "" {
		c.AWS.Region = getenv("AWS_REGION")
	}
}

// orDefault sets *p to v when the field was left out (zero).
func orDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// LoadConfig reads, validates and resolves a config file. getenv is the
// environment to resolve password_env from (os.Getenv in production).
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &ConfigError{File: path, Msg: "no such file; pass --config with the path of your cutover.yaml (make lab writes one)"}
		}
		return nil, &ConfigError{File: path, Msg: err.Error()}
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(path, nil, err)
	}
	var c Config
	if err := yaml.UnmarshalWithOptions(data, &c, yaml.Strict()); err != nil {
		return nil, yamlError(path, file, err)
	}
	// Paths in the file are relative to the file, wherever cutover runs.
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, &ConfigError{File: path, Msg: err.Error()}
	}
	c.Path, c.Dir = path, dir
	c.applyDefaults(getenv)
	v := &validator{file: path, ast: file, getenv: getenv, dir: c.Dir}
	v.config(&c)
	if v.err != nil {
		return nil, v.err
	}
	for _, p := range []*string{&c.Journal, &c.Log, &c.Source.TLS.CAFile, &c.Target.TLS.CAFile, &c.Target.DataDir} {
		*p = v.abs(*p)
	}
	return &c, nil
}

// validator collects the first problem, with the line of the field.
type validator struct {
	file   string
	ast    *ast.File
	getenv func(string) string
	dir    string
	err    error
}

func (v *validator) line(field string) int {
	// Walk up to the nearest field that is present in the file.
	for f := field; f != ""; {
		if p, err := yaml.PathString("$." + f); err == nil {
			if n, err := p.FilterFile(v.ast); err == nil && n != nil {
				if t := n.GetToken(); t != nil && t.Position != nil {
					return t.Position.Line
				}
			}
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return 0
}

// wholeNumber refuses a fraction where a count is wanted: the decoder would
// silently cut 2.9 down to 2.
func (v *validator) wholeNumber(field string) {
	p, err := yaml.PathString("$." + field)
	if err != nil {
		return
	}
	if n, err := p.FilterFile(v.ast); err == nil {
		if _, frac := n.(*ast.FloatNode); frac {
			v.fail(field, "%s is not a whole number", n.GetToken().Value)
		}
	}
}

func (v *validator) fail(field, format string, args ...any) {
	if v.err == nil {
		v.err = &ConfigError{File: v.file, Line: v.line(field), Field: field, Msg: fmt.Sprintf(format, args...)}
	}
}

func (v *validator) abs(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(v.dir, p)
}

func (v *validator) config(c *Config) {
	if v.abs(c.Log) == v.abs(c.Journal) {
		v.fail("log", "is the journal file; give the log its own path, like cutover.log")
	}
	if c.PollInterval.Duration < 100*time.Millisecond || c.PollInterval.Duration > time.Minute {
		v.fail("poll_interval", "%s is out of range; use between 100ms and 1m", c.PollInterval.Duration)
	}
	v.oneOf("source.kind", c.Source.Kind, KindElastiCache, KindServerless, "redis")
	v.redisURL("source.url", c.Source.URL)
	if c.Source.IAM {
		v.iam(c)
	} else {
		v.secret("source", &c.Source.Secret, true)
	}
	v.tls("source.tls", c.Source)
	v.managed(c)
	v.oneOf("target.kind", c.Target.Kind, "standalone", "sentinel", "cluster")
	v.redisURL("target.url", c.Target.URL)
	if sameServer(c.Source.URL, c.Target.URL) {
		v.fail("target.url", "is the same server as source.url; the target must be another server, or loading it would overwrite the source")
	}
	v.secret("target", &c.Target.Secret, true)
	v.tls("target.tls", c.Target.Endpoint)
	if c.Target.IAM {
		v.fail("target.iam", "only an elasticache source uses IAM authentication; the target takes password_env or password_file")
	}
	if c.Target.ReplicationGroup != "" {
		v.fail("target.replication_group", "the target is self-managed and has no replication group")
	}
	if c.Target.ServerlessCache != "" {
		v.fail("target.serverless_cache", "the target is self-managed and is no serverless cache")
	}
	if c.Target.Kind == "sentinel" {
		if c.Target.Sentinel.Master == "" {
			v.fail("target.sentinel.master", "missing; a sentinel target needs the master name the sentinels monitor")
		}
		if len(c.Target.Sentinel.Addrs) == 0 {
			v.fail("target.sentinel.addrs", "missing; list the sentinels as host:port")
		}
		for i, a := range c.Target.Sentinel.Addrs {
			v.hostPort(fmt.Sprintf("target.sentinel.addrs[%d]", i), a)
		}
		v.secret("target.sentinel", &c.Target.Sentinel.Secret, false)
	} else if c.Target.Sentinel.Master != "" || len(c.Target.Sentinel.Addrs) > 0 {
		v.fail("target.sentinel", "only a sentinel target has sentinels; set target.kind: sentinel or remove this")
	}
	for i, r := range c.Target.Replicas {
		v.redisURL(fmt.Sprintf("target.replicas[%d]", i), r)
	}
	if len(c.Target.Zones) > 0 && c.Target.Kind != "cluster" {
		v.fail("target.zones", "only a cluster target's nodes are given zones; set target.kind: cluster or remove this")
	}
	for node, z := range c.Target.Zones {
		if strings.TrimSpace(node) == "" || strings.TrimSpace(z) == "" {
			v.fail("target.zones", "%q: %q: give a node's host (or host:port) and its zone, e.g. 10.0.1.5: us-east-1a", node, z)
		}
	}
	v.users(c.Target.Users)
	if c.Target.ExporterURL != "" && !httpURL(c.Target.ExporterURL) {
		v.fail("target.exporter_url", "%q is not an http(s) URL", c.Target.ExporterURL)
	}
	if c.AWS.Endpoint != "" && !httpURL(c.AWS.Endpoint) {
		v.fail("aws.endpoint", "%q is not an http(s) URL", c.AWS.Endpoint)
	}
	if c.S3.Bucket != "" && !validBucket(c.S3.Bucket) {
		v.fail("s3.bucket", "%q is not a valid bucket name (3-63 lower-case letters, digits, dots and hyphens)", c.S3.Bucket)
	}
	if c.Source.ElastiCache() && c.S3.Bucket == "" {
		v.fail("s3.bucket", "missing; exporting an ElastiCache snapshot needs a bucket in the same region")
	}
	if strings.HasPrefix(c.S3.Prefix, "/") {
		v.fail("s3.prefix", "must not start with /")
	}
	v.wholeNumber("dns.ttl")
	v.wholeNumber("thresholds.sample_keys")
	v.dns(&c.DNS)
	v.thresholds(&c.Thresholds)
	v.window(c, New())
	v.notify(&c.Notify)
	v.cost(&c.Cost)
	v.keys(c)
	if c.Lab != nil && c.Lab.ControlURL == "" {
		v.fail("lab.control_url", "missing; the lab writes this section: run cutover lab again, or remove lab")
	}
}

// serverlessName is what CreateServerlessCache accepts as a name.
var serverlessName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// managed checks what an ElastiCache source needs: its replication group or
// serverless cache, and the region.
func (v *validator) managed(c *Config) {
	src := &c.Source
	switch src.Kind {
	case KindElastiCache:
		if src.ReplicationGroup == "" {
			v.fail("source.replication_group", "missing; an elasticache source needs its replication group ID (aws elasticache describe-replication-groups)")
		}
	case KindServerless:
		switch {
		case src.ServerlessCache == "":
			v.fail("source.serverless_cache", "missing; an elasticache-serverless source needs its cache name (aws elasticache describe-serverless-caches)")
		case !serverlessName.MatchString(src.ServerlessCache) || strings.HasSuffix(src.ServerlessCache, "-") || strings.Contains(src.ServerlessCache, "--"):
			v.fail("source.serverless_cache", "%q is not a serverless cache name (up to 40 lower-case letters, digits and single hyphens, starting with a letter)", src.ServerlessCache)
		case !strings.HasPrefix(src.URL, "rediss://"):
			v.fail("source.url", "a serverless cache accepts only TLS connections: use rediss://")
		case src.ReplicationGroup != "":
			v.fail("source.replication_group", "a serverless cache has no replication group; serverless_cache names it")
		}
	}
	if src.ReplicationGroup != "" && src.Kind != KindElastiCache && src.Kind != KindServerless {
		v.fail("source.replication_group", "only an elasticache source has a replication group")
	}
	if src.ServerlessCache != "" && !src.Serverless() {
		v.fail("source.serverless_cache", "only an elasticache-serverless source has a serverless cache; set source.kind: elasticache-serverless or remove this")
	}
	if src.ElastiCache() && c.AWS.Region == "" {
		v.fail("aws.region", "missing; an %s source needs the AWS region (or set AWS_REGION)", src.Kind)
	}
}

// iam checks an IAM-authenticated source: ElastiCache, a user, TLS, and
// no password besides.
func (v *validator) iam(c *Config) {
	src := &c.Source
	switch {
	case !src.ElastiCache():
		v.fail("source.iam", "IAM authentication exists only for an elasticache or elasticache-serverless source")
	case src.Username == "":
		v.fail("source.username", "missing; IAM authentication connects as an ElastiCache user (its user ID)")
	case !strings.HasPrefix(src.URL, "rediss://"):
		v.fail("source.url", "IAM authentication needs in-transit encryption: use a rediss:// URL")
	case src.Secret.Inline != "" || src.Secret.Env != "" || src.Secret.File != "":
		v.fail("source.iam", "IAM tokens replace the password: remove the password settings")
	}
	src.AWS = c.AWS
}

func (v *validator) oneOf(field, val string, allowed ...string) {
	if val == "" {
		v.fail(field, "missing; set it to one of %s", strings.Join(allowed, ", "))
	} else if !slices.Contains(allowed, val) {
		v.fail(field, "%q is not one of %s", val, strings.Join(allowed, ", "))
	}
}

func (v *validator) redisURL(field, raw string) {
	if raw == "" {
		v.fail(field, "missing; write it as redis://host:port or rediss://host:port")
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		v.fail(field, "not a URL; write it as redis://host:port or rediss://host:port")
		return
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		v.fail(field, "scheme %q is not redis:// or rediss://", u.Scheme)
		return
	}
	if _, ok := u.User.Password(); ok {
		v.fail(field, "holds a password; secrets are never inline: use password_env or password_file")
		return
	}
	if u.Hostname() == "" || u.Port() == "" {
		v.fail(field, "needs a host and a port, like redis://host:6379")
		return
	}
	if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
		v.fail(field, "port %q is not between 1 and 65535", u.Port())
	}
	if u.Path != "" && u.Path != "/" && u.Path != "/0" {
		v.fail(field, "selects database %s; cutover migrates every database, so leave the path out", strings.TrimPrefix(u.Path, "/"))
	}
}

// sameServer tells whether two valid Redis URLs name the same host and port.
func sameServer(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	return errA == nil && errB == nil && ua.Port() != "" &&
		strings.EqualFold(ua.Hostname(), ub.Hostname()) && ua.Port() == ub.Port()
}

func (v *validator) hostPort(field, s string) {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		v.fail(field, "%q is not host:port", s)
		return
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		v.fail(field, "port %q is not between 1 and 65535", port)
	}
}

// secret resolves a password reference. required means a password must be
// given (an unauthenticated cache is refused: the playbook requires auth).
func (v *validator) secret(prefix string, s *Secret, required bool) {
	s.Value = v.reference(prefix, "password", "the password", s.Inline, s.Env, s.File, required)
}

// reference resolves a secret given as prefix.key_env or prefix.key_file
// (prefix.key, inline, is refused) and returns its value.
func (v *validator) reference(prefix, key, noun, inline, env, file string, required bool) string {
	field := prefix + "." + key
	switch {
	case inline != "":
		v.fail(field, "secrets are never inline; use %s_env (an environment variable name) or %s_file (a path)", key, key)
	case env != "" && file != "":
		v.fail(field+"_env", "give %s_env or %s_file, not both", key, key)
	case env != "":
		val := v.getenv(env)
		if val == "" {
			v.fail(field+"_env", "environment variable %s is not set; export it before running cutover", env)
		}
		return val
	case file != "":
		p := v.abs(file)
		b, err := os.ReadFile(p)
		if err != nil {
			v.fail(field+"_file", "cannot read %s: %v", p, unwrapPathErr(err))
			return ""
		}
		val := strings.TrimRight(string(b), "\r\n")
		if val == "" {
			v.fail(field+"_file", "%s is empty", p)
		}
		return val
	case required:
		v.fail(field+"_env", "missing; give %s by reference with %s_env or %s_file", noun, key, key)
	}
	return ""
}

// users checks target.users: each has a name an ACL user can have, once,
// and a password by reference.
func (v *validator) users(us []User) {
	seen := map[string]bool{}
	for i := range us {
		u := &us[i]
		field := fmt.Sprintf("target.users[%d]", i)
		switch {
		case u.Name == "":
			v.fail(field+".name", "missing; the ACL user's name, as ACL LIST shows it")
		case strings.ContainsAny(u.Name, " \t\r\n"):
			v.fail(field+".name", "%q holds white space, which an ACL user name cannot", u.Name)
		case u.Name == "default":
			v.fail(field+".name", "the default user's password is target.password_env or target.password_file")
		case seen[u.Name]:
			v.fail(field+".name", "%s is listed twice", u.Name)
		}
		seen[u.Name] = true
		v.secret(field, &u.Secret, true)
	}
}

// notify checks the notification targets. A bad webhook URL is reported
// without its text: the URL is the secret.
func (v *validator) notify(n *Notify) {
	if w := n.Webhook; w != nil {
		w.URL = v.reference("notify.webhook", "url", "the webhook URL", w.Inline, w.Env, w.File, true)
		if w.URL != "" && !httpURL(w.URL) {
			field, from := "notify.webhook.url_env", "$"+w.Env
			if w.File != "" {
				field, from = "notify.webhook.url_file", v.abs(w.File)
			}
			v.fail(field, "%s does not hold an http(s) URL; it should be the incoming webhook's URL, like https://hooks.slack.com/services/...", from)
		}
	}
	if p := n.PagerDuty; p != nil {
		p.RoutingKey = v.reference("notify.pagerduty", "routing_key", "the integration's routing key", p.Inline, p.Env, p.File, true)
		if !httpURL(p.Endpoint) {
			v.fail("notify.pagerduty.endpoint", "%q is not an http(s) URL; leave it out for %s", p.Endpoint, PagerDutyChangeURL)
		}
	}
}

// httpURL tells whether s is an absolute http(s) URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (v *validator) tls(field string, e Endpoint) {
	secure := strings.HasPrefix(e.URL, "rediss://")
	if !secure && (e.TLS.CAFile != "" || e.TLS.ServerName != "" || e.TLS.InsecureSkipVerify) {
		v.fail(field, "TLS settings need a rediss:// URL")
		return
	}
	if e.TLS.CAFile != "" {
		if _, err := os.Stat(v.abs(e.TLS.CAFile)); err != nil {
			v.fail(field+".ca_file", "cannot read %s: %v", v.abs(e.TLS.CAFile), unwrapPathErr(err))
		}
	}
}

func (v *validator) dns(d *DNS) {
	if d.Record == "" && d.HostedZoneID == "" {
		return // no DNS swap configured: the cutover steps will say so
	}
	v.oneOf("dns.provider", d.Provider, "route53")
	if d.HostedZoneID == "" {
		v.fail("dns.hosted_zone_id", "missing; the Route53 hosted zone that holds dns.record")
	}
	for _, f := range []struct{ name, val string }{{"dns.record", d.Record}, {"dns.source_value", d.SourceValue}, {"dns.target_value", d.TargetValue}} {
		if f.val == "" {
			v.fail(f.name, "missing; a DNS name like cache.example.internal")
		} else if !validDNSName(f.val) {
			v.fail(f.name, "%q is not a DNS name", f.val)
		}
	}
	if d.SourceValue != "" && strings.EqualFold(strings.TrimSuffix(d.SourceValue, "."), strings.TrimSuffix(d.TargetValue, ".")) {
		v.fail("dns.target_value", "is the same as dns.source_value; the swap would change nothing")
	}
	if d.TTL < 1 || d.TTL > 86400 {
		v.fail("dns.ttl", "%d is out of range; use 1 to 86400 seconds (30 is usual for a cutover)", d.TTL)
	}
	if d.Resolver != "" {
		v.hostPort("dns.resolver", d.Resolver)
	}
}

func (v *validator) thresholds(t *Thresholds) {
	frac := func(field string, x float64) {
		if x < 0 || x >= 1 {
			v.fail(field, "%g is out of range; use a fraction between 0 and 1", x)
		}
	}
	frac("thresholds.parity_tolerance", t.ParityTolerance)
	frac("thresholds.hit_rate_margin", t.HitRateMargin)
	if t.Convergence <= 0 || t.Convergence > 1 {
		v.fail("thresholds.convergence", "%g is out of range; use a fraction above 0 and at most 1", t.Convergence)
	}
	if t.LatencyMargin < 0 || t.LatencyMargin > 10 {
		v.fail("thresholds.latency_margin", "%g is out of range; use a fraction such as 0.25", t.LatencyMargin)
	}
	if t.SampleKeys < 0 || t.SampleKeys > 1_000_000 {
		v.fail("thresholds.sample_keys", "%d is out of range; use 0 to 1000000", t.SampleKeys)
	}
	if t.LatencySlack.Duration < 0 || t.LatencySlack.Duration > time.Second {
		v.fail("thresholds.latency_slack", "%s is out of range; use between 0 and 1s (0.5ms on a dedicated host, a few ms on a shared one)", t.LatencySlack.Duration)
	}
	if t.TTLTolerance.Duration < 0 {
		v.fail("thresholds.ttl_tolerance", "must not be negative")
	}
	if t.WatchDuration.Duration < 0 {
		v.fail("thresholds.watch_duration", "must not be negative")
	}
	if t.StragglersQuiet.Duration < time.Second {
		v.fail("thresholds.stragglers_quiet", "%s is too short; use at least 1s", t.StragglersQuiet.Duration)
	} else if t.StragglersTimeout.Duration < t.StragglersQuiet.Duration {
		v.fail("thresholds.stragglers_timeout", "%s is shorter than thresholds.stragglers_quiet (%s); give the check at least that long", t.StragglersTimeout.Duration, t.StragglersQuiet.Duration)
	}
	if t.BaselineWindow.Duration < time.Second {
		v.fail("thresholds.baseline_window", "%s is too short; use at least 1s", t.BaselineWindow.Duration)
	}
}

func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for _, r := range b {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

func validDNSName(n string) bool {
	n = strings.TrimSuffix(n, ".")
	if n == "" || len(n) > 253 {
		return false
	}
	for _, label := range strings.Split(n, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
