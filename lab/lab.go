// Package lab is the practice lab: a password-protected, seeded source
// standing in for ElastiCache, a Sentinel-managed target (primary, replica,
// three sentinels, the Redis exporter on the primary), the AWS stand-in, a loopback DNS server serving the
// hosted zone, and a simulated application, all on one random 127.A.B.0/24
// block, with the cutover.yaml that drives the runbook against them. With
// Options.Cluster both sides are Redis Clusters instead (cluster.go).
package lab

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/cutover/cutover/lab/app"
	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/dnsserver"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/lab/zone"
)

// Options for Start.
type Options struct {
	Dir  string    // holds the servers' files, secrets/, cutover.yaml and lab.env; created
	Keys int       // keys seeded into the source; 0 means DefaultKeys, negative means none
	Log  io.Writer // progress lines; nil discards them

	// Serverless makes the source an ElastiCache Serverless cache: TLS, no
	// CONFIG, BGSAVE, LASTSAVE or SAVE (renamed away), no SYNC, PSYNC,
	// CLIENT LIST or CLIENT KILL for its users (ACL), no keyspace
	// notifications, and the stand-in describes a serverless cache.
	Serverless bool

	// Cluster makes the source a cluster-mode ElastiCache group (a Redis
	// Cluster of 3 shards, each a primary and a replica) and the target a
	// Redis Cluster of 3 primaries and 3 replicas; the application talks
	// cluster protocol and cutover.yaml has target.kind cluster.
	Cluster bool
}

// Lab is a running lab. Its servers live until Close (or until this
// process dies: the kernel kills them then).
type Lab struct {
	Dir        string
	ConfigPath string // Dir/cutover.yaml
	EnvPath    string // Dir/lab.env
	Block      servers.Block
	Port       int // the port of source, target and replica
	Keys       int // keys seeded

	// Serverless is Options.Serverless. The source then answers TLS on
	// SourceTLS (its certificate verifies against CAFile) for cutover,
	// which logs in as SourceUser; its plaintext port, for the simulated
	// application and the stand-in, stands in for AWS's own access.
	Serverless bool
	SourceTLS  string
	CAFile     string

	// Cluster is Options.Cluster. Source and Target are then the first
	// primaries of SourceCluster (the configuration endpoint) and
	// TargetCluster (the seed node), and there are no Replica, Sentinels.
	Cluster                      bool
	SourceCluster, TargetCluster *servers.Cluster
	TargetZones                  map[string]string // each target node's zone by host: cutover.yaml's target.zones

	Source, Target, Replica *servers.Redis
	Sentinels               []*servers.Sentinel
	UserPasswords           map[string]string // each of Users' password, by name
	Exporter                *servers.Exporter // scrapes the target primary

	Zones *zone.Store
	DNS   *dnsserver.Server
	AWS   *awsstub.Server
	App   *app.App

	log       io.Writer
	start     time.Time
	lock      *flock.Flock
	source    *redis.Client // for the stand-in's INFO
	closeOnce sync.Once
	closeErr  error
}

// Start builds the lab in opts.Dir and returns when everything answers: the
// source is seeded, the sentinels agree, the name resolves and the
// application is sending traffic. On error everything started is stopped.
func Start(ctx context.Context, opts Options) (_ *Lab, err error) {
	if opts.Cluster && opts.Serverless {
		return nil, errors.New("lab: --cluster and --serverless: choose one (a serverless cache has no shards to see)")
	}
	l := &Lab{log: opts.Log, start: time.Now(), Keys: opts.Keys, Serverless: opts.Serverless, Cluster: opts.Cluster}
	if l.log == nil {
		l.log = io.Discard
	}
	if l.Keys == 0 {
		l.Keys = DefaultKeys
	}
	l.Keys = max(l.Keys, 0)
	if err := servers.CheckBinaries(); err != nil {
		return nil, err
	}
	if err := l.claimDir(opts.Dir); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = l.Close()
		}
	}()
	if err := l.pickAddresses(); err != nil {
		return nil, err
	}
	sourcePW, targetPW := rand.Text(), rand.Text()
	l.UserPasswords = map[string]string{}
	for _, u := range Users {
		l.UserPasswords[u.Name] = rand.Text()
	}

	g, gctx := errgroup.WithContext(ctx)
	if l.Cluster {
		g.Go(func() error { return l.startSourceCluster(gctx, sourcePW) })
		g.Go(func() error { return l.startTargetCluster(gctx, targetPW) })
	} else {
		g.Go(func() error { return l.startSource(gctx, sourcePW) })
		g.Go(func() error { return l.startTarget(gctx, targetPW) })
	}
	g.Go(l.startDNS)
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := l.startApp(ctx); err != nil {
		return nil, err
	}
	if err := l.startAWS(ctx); err != nil {
		return nil, err
	}
	if err := l.writeFiles(); err != nil {
		return nil, err
	}
	l.logf("ready: %s", l.ConfigPath)
	return l, nil
}

// claimDir creates dir, locks it against a second lab, and clears what a
// previous lab left there (killing its servers if they still run).
func (l *Lab) claimDir(dir string) error {
	if dir == "" {
		return errors.New("lab: no directory given: pass one, e.g. ./lab")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("lab: directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return fmt.Errorf("lab: create %s: %w", abs, err)
	}
	l.Dir = abs
	l.lock = flock.New(filepath.Join(abs, ".lab.lock"))
	ok, err := l.lock.TryLock()
	if err != nil {
		return fmt.Errorf("lab: lock %s: %w", l.lock.Path(), err)
	}
	if !ok {
		l.lock = nil
		return fmt.Errorf("lab: another lab is running in %s: stop it (Ctrl-C) or choose another directory", abs)
	}
	for _, sub := range serverDirs() {
		p := filepath.Join(abs, sub)
		servers.KillStale(p)
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("lab: clear %s: %w", p, err)
		}
	}
	return nil
}

func serverDirs() []string {
	return append([]string{"source", "target", "replica", "sentinel-1", "sentinel-2", "sentinel-3", "exporter", "tls"}, clusterDirs()...)
}

// logf writes one progress line with the time since Start.
func (l *Lab) logf(format string, args ...any) {
	fmt.Fprintf(l.log, "lab %5.1fs: %s\n", time.Since(l.start).Seconds(), fmt.Sprintf(format, args...))
}

// Close stops the application, the stand-ins and every server, and waits
// until each child is reaped. Safe to call more than once.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		var errs []error
		if l.App != nil {
			l.App.Close()
		}
		if l.AWS != nil {
			errs = append(errs, l.AWS.Close())
		}
		if l.DNS != nil {
			errs = append(errs, l.DNS.Close())
		}
		if l.source != nil {
			_ = l.source.Close()
		}
		// Sentinels first, or they would fail the target over while it stops.
		if l.Exporter != nil {
			l.Exporter.Stop()
		}
		var wg sync.WaitGroup
		for _, s := range l.Sentinels {
			wg.Go(s.Stop)
		}
		wg.Wait()
		for _, r := range []*servers.Redis{l.Source, l.Target, l.Replica} {
			if r != nil {
				wg.Go(r.Stop)
			}
		}
		for _, c := range []*servers.Cluster{l.SourceCluster, l.TargetCluster} {
			if c != nil {
				wg.Go(c.Stop)
			}
		}
		wg.Wait()
		// A primary the failover drill killed and restarted from its config
		// is no child of ours; its pid file is still in its dir.
		for _, sub := range serverDirs() {
			servers.KillStale(filepath.Join(l.Dir, sub))
		}
		if l.lock != nil {
			errs = append(errs, l.lock.Unlock())
		}
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}
