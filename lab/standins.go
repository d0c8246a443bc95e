package lab

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/replication"
	"github.com/cutover/cutover/lab/app"
	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/dnsserver"
	"github.com/cutover/cutover/lab/seed"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/lab/zone"
)

// startDNS fills the hosted zone and serves it: the servers' A records and
// the CNAME the application uses, pointing at the source.
func (l *Lab) startDNS() error {
	b := l.Block
	l.Zones = zone.NewStore()
	if err := l.Zones.AddZone(ZoneID, ZoneName); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	records := []zone.Record{
		{Name: SourceName, Type: zone.TypeA, TTL: hostTTL, Values: []string{b.Host(hostSource)}},
		{Name: TargetName, Type: zone.TypeA, TTL: hostTTL, Values: []string{b.Host(hostTarget)}},
		{Name: ReplicaName, Type: zone.TypeA, TTL: hostTTL, Values: []string{b.Host(hostReplica)}},
		{Name: CNAME, Type: zone.TypeCNAME, TTL: cnameTTL, Values: []string{SourceName}},
	}
	if l.Cluster {
		// The names lead to the first primaries: the source's configuration
		// endpoint and the target's seed node.
		records = []zone.Record{
			{Name: SourceName, Type: zone.TypeA, TTL: hostTTL, Values: []string{b.Host(hostSourceNodes)}},
			{Name: TargetName, Type: zone.TypeA, TTL: hostTTL, Values: []string{b.Host(hostTargetNodes)}},
			{Name: CNAME, Type: zone.TypeCNAME, TTL: cnameTTL, Values: []string{SourceName}},
		}
	}
	for _, r := range records {
		if err := l.Zones.Set(ZoneID, r); err != nil {
			return fmt.Errorf("lab: zone record %s: %w", r.Name, err)
		}
	}
	// Port 53 needs privileges; any port will do.
	var err error
	if l.DNS, err = dnsserver.Start(b.Host(hostDNS)+":53", l.Zones); err != nil {
		if l.DNS, err = dnsserver.Start(b.Host(hostDNS)+":0", l.Zones); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
	}
	l.logf("DNS on %s: %s -> %s", l.DNS.Addr(), CNAME, SourceName)
	return nil
}

// startAWS starts the stand-in for ElastiCache, S3, Route53 and
// CloudWatch; its snapshots are real RDBs of the source.
func (l *Lab) startAWS(ctx context.Context) error {
	info, err := l.source.Info(ctx, "server").Result()
	if err != nil {
		return fmt.Errorf("lab: INFO of the source: %w", err)
	}
	cfg := awsstub.Config{
		Region:                 Region,
		ReplicationGroupID:     ReplicationGroup,
		Engine:                 "redis",
		EngineVersion:          infoField(info, "redis_version"),
		PrimaryEndpoint:        l.Source.Addr(),
		AuthTokenEnabled:       true,
		UserGroupIDs:           []string{UserGroup},
		Users:                  awsUsers(),
		Parameters:             map[string]string{"maxmemory-policy": "allkeys-lru", "notify-keyspace-events": SourceKeyspaceEvents},
		SnapshotRetentionLimit: 1,
		SnapshotWindow:         "05:00-06:00",
		Snapshot: func(ctx context.Context, w io.Writer) error {
			_, err := replication.Replicate(ctx, l.Source.Addr(), l.Source.Password, w, nil)
			return err
		},
		Info:           func(ctx context.Context) (string, error) { return l.source.Info(ctx).Result() },
		Zones:          l.Zones,
		Buckets:        map[string]string{Bucket: Region},
		GrantedBuckets: []string{Bucket},
		Extra:          l.control(),
		SampleEvery:    10 * time.Second,
	}
	if l.Cluster {
		cfg.PrimaryEndpoint, cfg.Snapshot, cfg.ConfigurationEndpoint = "", nil, l.Source.Addr()
		if cfg.Shards, err = l.sourceShards(ctx); err != nil {
			return err
		}
	}
	if l.Serverless {
		// Its reader endpoint is the one endpoint: the lab's source has one
		// TLS port. Its latency metrics come from commandstats.
		cfg.ReplicationGroupID, cfg.PrimaryEndpoint, cfg.Parameters = "", "", nil
		cfg.Info = func(ctx context.Context) (string, error) {
			return l.source.Info(ctx, "default", "commandstats").Result()
		}
		cfg.Serverless = &awsstub.Serverless{Name: ServerlessCache, Endpoint: l.SourceTLS, ReaderEndpoint: l.SourceTLS,
			MaxDataGB: 10, MaxECPU: 5000, ExportParts: 3}
	}
	// 4566 is the port AWS stand-ins customarily use; any will do.
	cfg.Addr = l.Block.Host(hostAWS) + ":4566"
	if l.AWS, err = awsstub.Start(cfg); err != nil {
		cfg.Addr = l.Block.Host(hostAWS) + ":0"
		if l.AWS, err = awsstub.Start(cfg); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
	}
	what := "replication group " + ReplicationGroup
	switch {
	case l.Cluster:
		what = fmt.Sprintf("cluster-mode replication group %s, %d shards, configuration endpoint %s", ReplicationGroup, len(cfg.Shards), cfg.ConfigurationEndpoint)
	case l.Serverless:
		what = "serverless cache " + ServerlessCache + " on " + l.SourceTLS
	}
	l.logf("AWS stand-in on %s (%s, bucket %s)", l.AWS.URL(), what, Bucket)
	return nil
}

// appPasswords are the servers' passwords by host, every node's in the
// cluster lab: a cluster client connects to each.
func (l *Lab) appPasswords() map[string]string {
	pw := map[string]string{}
	for _, r := range []*servers.Redis{l.Source, l.Target, l.Replica} {
		if r != nil {
			pw[r.Host] = r.Password
		}
	}
	for _, c := range []*servers.Cluster{l.SourceCluster, l.TargetCluster} {
		if c != nil {
			for _, n := range c.Nodes() {
				pw[n.Host] = c.Password
			}
		}
	}
	return pw
}

// awsUsers are Users as the stand-in's DescribeUsers shows them.
func awsUsers() []awsstub.User {
	var out []awsstub.User
	for _, u := range Users {
		out = append(out, awsstub.User{ID: u.Name, AccessString: "on " + u.Rules})
	}
	return out
}

// infoField returns one "name:value" line's value from INFO text.
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}

// startApp starts the simulated application on the CNAME and waits for its
// first answer, which proves the name, the DNS server and the password.
func (l *Lab) startApp(ctx context.Context) error {
	profiles := max(seed.ProfileCount(l.Keys), 1)
	var err error
	l.App, err = app.Start(app.Config{
		Addr:      CNAME + ":" + strconv.Itoa(l.Port),
		DNS:       l.DNS.Addr(),
		Passwords: l.appPasswords(),
		Cluster:   l.Cluster,
		HitKey:    func(r *rand.Rand) string { return seed.ProfileKey(r.IntN(profiles)) },
	})
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		st := l.App.Status()
		if st.Ops > st.Errors {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab: the simulated application got no answer through %s: %s", CNAME, st.LastError)
		case <-time.After(20 * time.Millisecond):
		}
	}
	l.logf("simulated application sending traffic to %s:%d", CNAME, l.Port)
	return nil
}
