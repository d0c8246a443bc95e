// Package live carries out the live strategy in the runbook: migrate.live
// starts a live sync (steps/livesync), the console shows it, and
// cutover.cname drains it, swaps the name and stops it once the source has
// no application clients left.
//
// The sync outlives the step that starts it, so it belongs to the process,
// not to a step: a Service made by main holds it, steps reach it through
// the executors built with it, and main closes it on exit.
package live

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/livesync"
)

// Service owns the process's live sync.
type Service struct {
	mu      sync.Mutex
	sync    *livesync.Sync
	logSink func(format string, args ...any)
}

// NewService makes a service with no sync; it logs nowhere until SetLog.
func NewService() *Service { return &Service{} }

// SetLog sets where the sync's lines go (the timeline and the log file).
// It must stay usable for the life of the process: a step's own logger
// ends with the step, the sync does not.
func (s *Service) SetLog(f func(format string, args ...any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logSink = f
}

func (s *Service) log(format string, args ...any) {
	s.mu.Lock()
	f := s.logSink
	s.mu.Unlock()
	if f != nil {
		f(format, args...)
	}
}

// Stats returns the running sync's stats; false when none runs.
func (s *Service) Stats() (livesync.Stats, bool) {
	if sy := s.current(); sy != nil {
		return sy.Stats(), true
	}
	return livesync.Stats{}, false
}

// current is the running sync, or nil (a sync that stopped on an error is
// kept so its error can be shown, but it does not run).
func (s *Service) current() *livesync.Sync {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sync
}

func (s *Service) running() *livesync.Sync {
	sy := s.current()
	if sy == nil {
		return nil
	}
	select {
	case <-sy.Done():
		return nil
	default:
		return sy
	}
}

// errRunning says a sync already runs.
var errRunning = errors.New("a live sync is already running in this process")

// start begins a sync for cfg; empty says the target was found empty.
// The sync runs on the service's behalf, not under ctx, which only bounds
// the start.
func (s *Service) start(ctx context.Context, cfg *runbook.Config, empty bool) (*livesync.Sync, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sync != nil {
		select {
		case <-s.sync.Done():
		default:
			return s.sync, errRunning
		}
	}
	o := Options(cfg)
	o.Empty = empty
	o.Log = s.log
	// Start returns once subscribed; ctx bounds that, the sync itself runs
	// until Stop.
	type started struct {
		sy  *livesync.Sync
		err error
	}
	ch := make(chan started, 1)
	go func() {
		sy, err := livesync.Start(context.Background(), o)
		ch <- started{sy, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, r.err
		}
		s.sync = r.sy
		return r.sy, nil
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.sy != nil {
				r.sy.Stop()
			}
		}()
		return nil, ctx.Err()
	}
}

// stop ends the sync, if one runs, and returns its final stats.
func (s *Service) stop() (livesync.Stats, error) {
	s.mu.Lock()
	sy := s.sync
	s.sync = nil
	s.mu.Unlock()
	if sy == nil {
		return livesync.Stats{}, nil
	}
	err := sy.Stop()
	return sy.Stats(), err
}

// Close stops the sync when the process ends.
func (s *Service) Close() {
	if st, err := s.stop(); st.Phase != "" {
		if err != nil {
			s.log("live sync stopped with the process: %v", err)
		} else {
			s.log("live sync stopped with the process after %d keys copied", st.Copied)
		}
	}
}

// Options are the sync options for a config: the source as configured,
// the target's primary (followed through failovers behind Sentinel).
func Options(cfg *runbook.Config) livesync.Options {
	opts := func(db, pool int) []probes.Option {
		return []probes.Option{probes.Database(db), probes.PoolSize(pool), probes.ConfigDir(cfg.Dir), probes.Timeout(30 * time.Second)}
	}
	return livesync.Options{
		Source: func(purpose string, db, pool int) *redis.Client {
			return probes.Client(cfg.Source, purpose, opts(db, pool)...)
		},
		Target: func(purpose string, db, pool int) *redis.Client {
			if cfg.Target.Kind == "sentinel" {
				return probes.FailoverClient(cfg.Target, purpose, opts(db, pool)...)
			}
			return probes.Client(cfg.Target.Endpoint, purpose, opts(db, pool)...)
		},
	}
}
