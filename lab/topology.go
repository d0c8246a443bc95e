package lab

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/cutover/cutover/lab/seed"
	"github.com/cutover/cutover/lab/servers"
)

const (
	downAfter       = 2 * time.Second // short, so a failover drill is short
	failoverTimeout = 10 * time.Second
)

// Both sides persist with AOF and have a memory limit, the policy and the
// keyspace notifications the stand-in's parameter group reports: a
// correct build (build.memory, build.keyspace_events) passes. A serverless
// source has no notifications and evicts as volatile-lru, so then neither
// side has them and both evict so.
func (l *Lab) persistence() []string {
	lines := []string{
		"appendonly yes",
		"maxmemory 1gb",
		// No AOF rewrite (a fork) while the lab seeds.
		"auto-aof-rewrite-min-size 512mb",
	}
	if l.Serverless {
		return append(lines, "maxmemory-policy volatile-lru")
	}
	return append(lines, "maxmemory-policy allkeys-lru", "notify-keyspace-events "+SourceKeyspaceEvents)
}

// userLines are the redis.conf lines that create Users: in the config
// rather than by ACL SETUSER, so they survive the failover drill's restart
// of a server from its config. The passwords are rand.Text, which needs no
// quoting. extra rules go after each user's own.
func (l *Lab) userLines(extra string) []string {
	var lines []string
	for _, u := range Users {
		lines = append(lines, strings.TrimSpace("user "+u.Name+" on >"+l.UserPasswords[u.Name]+" "+u.Rules+" "+extra))
	}
	return lines
}

// serverlessLines make the source a serverless cache: TLS on tlsPort with
// a certificate from the lab CA, the commands it has not, and SourceUser
// and Users refused what it refuses.
func (l *Lab) serverlessLines(password string, tlsPort int) ([]string, error) {
	host := l.Block.Host(hostSource)
	f, err := writeTLS(filepath.Join(l.Dir, "tls"), host, SourceName)
	if err != nil {
		return nil, err
	}
	l.SourceTLS, l.CAFile = net.JoinHostPort(host, strconv.Itoa(tlsPort)), f.CA
	lines := []string{
		"tls-port " + strconv.Itoa(tlsPort),
		"tls-cert-file " + f.Cert, "tls-key-file " + f.Key, "tls-ca-cert-file " + f.CA,
		"tls-auth-clients no",
	}
	for _, c := range serverlessRenamed {
		lines = append(lines, "rename-command "+c+` ""`)
	}
	lines = append(lines, "user "+SourceUser+" on >"+password+" ~* &* +@all "+serverlessDenied)
	return append(lines, l.userLines(serverlessDenied)...), nil
}

// pickAddresses picks a block and the ports: 6379 and 26379 when free there
// (they almost always are on a random block), else free ones. Source,
// target and replica (or every cluster node) share one port, as hosts in a
// real network would.
func (l *Lab) pickAddresses() error {
	l.Block = servers.PickBlock()
	b := l.Block
	hosts := []string{b.Host(hostSource), b.Host(hostTarget), b.Host(hostReplica)}
	if l.Cluster {
		hosts = append(clusterHosts(b, hostSourceNodes), clusterHosts(b, hostTargetNodes)...)
	}
	var err error
	if l.Port, err = pickPort(6379, hosts...); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	l.logf("block %s, redis port %d", b, l.Port)
	return nil
}

func pickPort(preferred int, hosts ...string) (int, error) {
	if servers.PortFree(preferred, hosts...) {
		return preferred, nil
	}
	return servers.FreePort(hosts...)
}

// SourceKeyspaceEvents is the source's notify-keyspace-events, set as its
// parameter group would set it, so the live strategy can be rehearsed.
const SourceKeyspaceEvents = "KEA"

// startSource starts the ElastiCache stand-in and seeds it.
func (l *Lab) startSource(ctx context.Context, password string) error {
	extra := slices.Concat(l.persistence(), l.userLines(""))
	if l.Serverless {
		port, err := servers.FreePort(l.Block.Host(hostSource))
		if err != nil {
			return fmt.Errorf("lab: source TLS port: %w", err)
		}
		if extra, err = l.serverlessLines(password, port); err != nil {
			return err
		}
		extra = append(l.persistence(), extra...)
	}
	var err error
	l.Source, err = servers.StartRedis(ctx, servers.RedisConfig{
		Dir: filepath.Join(l.Dir, "source"), Host: l.Block.Host(hostSource), Port: l.Port,
		Password: password, Extra: extra,
	})
	if err != nil {
		return fmt.Errorf("lab: source: %w", err)
	}
	l.source = redis.NewClient(l.sourceOptions(l.Source.Addr(), password))
	begin := time.Now()
	if err := seed.Seed(ctx, l.source, l.Keys, nil); err != nil {
		return fmt.Errorf("lab: seed the source: %w", err)
	}
	l.logf("source %s seeded with %d keys in %s", l.Source.Addr(), l.Keys, time.Since(begin).Round(time.Millisecond))
	return nil
}

// sourceOptions are the stand-in's client of the source (node) at addr.
// Named as cutover's own: ElastiCache's collection of CloudWatch metrics,
// which this client stands in for, is no application, and
// cutover.stragglers must not count it.
func (l *Lab) sourceOptions(addr, password string) *redis.Options {
	return &redis.Options{
		Addr: addr, Password: password, Protocol: 2, DisableIdentity: true, ClientName: "cutover-lab-aws",
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		PoolSize:                 8, DialTimeout: 2 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
	}
}

// startTarget starts the target primary, its replica and three sentinels,
// and waits until a failover could be asked for.
func (l *Lab) startTarget(ctx context.Context, password string) error {
	b := l.Block
	var err error
	l.Target, err = servers.StartRedis(ctx, servers.RedisConfig{
		Dir: filepath.Join(l.Dir, "target"), Host: b.Host(hostTarget), Port: l.Port,
		Password: password, MasterAuth: password, Extra: slices.Concat(l.persistence(), l.userLines("")),
	})
	if err != nil {
		return fmt.Errorf("lab: target: %w", err)
	}
	l.Replica, err = servers.StartRedis(ctx, servers.RedisConfig{
		Dir: filepath.Join(l.Dir, "replica"), Host: b.Host(hostReplica), Port: l.Port,
		Password: password, MasterAuth: password, ReplicaOf: l.Target.Addr(), Extra: slices.Concat(l.persistence(), l.userLines("")),
	})
	if err != nil {
		return fmt.Errorf("lab: replica: %w", err)
	}
	hosts := []string{b.Host(hostSentA), b.Host(hostSentA + 1), b.Host(hostSentA + 2)}
	port, err := pickPort(26379, hosts...)
	if err != nil {
		return fmt.Errorf("lab: sentinel port: %w", err)
	}
	for i, h := range hosts {
		s, err := servers.StartSentinel(ctx, servers.SentinelConfig{
			Dir: filepath.Join(l.Dir, fmt.Sprintf("sentinel-%d", i+1)), Host: h, Port: port,
			Master: Master, MasterAddr: l.Target.Addr(), Quorum: 2,
			DownAfter: downAfter, FailoverTimeout: failoverTimeout, AuthPass: password,
		})
		if err != nil {
			return fmt.Errorf("lab: sentinel: %w", err)
		}
		l.Sentinels = append(l.Sentinels, s)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := servers.SentinelsReady(wctx, Master, []string{l.Replica.Addr()}, l.Sentinels...); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	l.logf("target %s, replica %s, sentinels on port %d ready", l.Target.Addr(), l.Replica.Addr(), port)
	return l.startExporter(ctx)
}

// startExporter runs the real Redis exporter against the target primary,
// as the monitoring decision asks for: 9121 when free, else any port.
func (l *Lab) startExporter(ctx context.Context) error {
	host := l.Block.Host(hostExport)
	port, err := pickPort(9121, host)
	if err != nil {
		return fmt.Errorf("lab: exporter port: %w", err)
	}
	l.Exporter, err = servers.StartExporter(ctx, servers.ExporterConfig{
		Dir: filepath.Join(l.Dir, "exporter"), Host: host, Port: port,
		RedisAddr: l.Target.Addr(), Password: l.Target.Password,
	})
	if err != nil {
		return fmt.Errorf("lab: exporter: %w", err)
	}
	l.logf("exporter %s scraping the target primary", l.Exporter.URL())
	return nil
}
