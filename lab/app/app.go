// Package app is the practice lab's simulated application: a few workers
// that read and write through the cache's DNS name at a steady rate, so the
// INFO panes show real traffic move when the CNAME is swapped.
package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// ClientName is what every connection calls itself (CLIENT SETNAME).
const ClientName = "lab-app"

// Config describes the application.
type Config struct {
	Addr      string            // DNS name and port, e.g. cache.lab.internal:6379
	DNS       string            // host:port of the DNS server that resolves Addr
	Passwords map[string]string // password by resolved IP address
	// HitKey returns the name of a key that the data set holds; GETs of it
	// are the app's hits.
	HitKey     func(r *rand.Rand) string
	Rate       int           // operations per second, all workers together (default 200)
	Workers    int           // default 4
	MaxConnAge time.Duration // connections are replaced after this (default 30s), so a CNAME swap is followed without a restart
	// Cluster makes the app a cluster client: Addr is then the
	// configuration endpoint it reads the slot map from, and it talks to
	// every node the map names.
	Cluster bool
}

// App is a running simulated application.
type App struct {
	cfg      Config
	resolver *net.Resolver
	client   atomic.Pointer[pool]
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	restarts atomic.Int64
	held     atomic.Pointer[heldConn]

	ops, hits, misses, sets, errs, dials atomic.Int64

	seq atomic.Int64 // the value of the next SET: a write sequence number

	// script is the SHA of the script the app loaded where the name
	// pointed when EVALSHA mode began; "" while it is off.
	script atomic.Pointer[string]

	mu        sync.Mutex
	acked     map[string]int64 // key -> highest sequence number the server acknowledged
	lastErr   string
	lastErrAt time.Time
	lastAddr  string
	conns     map[string]int
}

// appScript is the application's one Lua script.
const appScript = "return redis.call('INCR', KEYS[1])"

// UseScript loads the app's script where the name points now and from
// then on calls it by SHA: after a swap to a server that never loaded it,
// those calls fail with NOSCRIPT, the pitfall build.scripts warns about.
func (a *App) UseScript(ctx context.Context) (string, error) {
	sha, err := a.client.Load().ScriptLoad(ctx, appScript).Result()
	if err != nil {
		return "", err
	}
	a.script.Store(&sha)
	return sha, nil
}

// Status is a snapshot of the app's counters.
type Status struct {
	Ops         int64          `json:"ops"`
	Hits        int64          `json:"hits"`
	Misses      int64          `json:"misses"`
	Sets        int64          `json:"sets"`
	Errors      int64          `json:"errors"`
	Dials       int64          `json:"dials"`          // connections opened
	Restarts    int64          `json:"restarts"`       // calls to Restart
	LastError   string         `json:"last_error"`     // the most recent failure, if any
	LastErrorAt time.Time      `json:"last_error_at"`  // when it happened
	LastAddr    string         `json:"last_addr"`      // ip:port of the most recent connection
	Conns       map[string]int `json:"conns"`          // open connections by server ip:port
	Held        string         `json:"held,omitempty"` // ip:port a connection is held on since RestartHolding
}

// heldConn is one connection kept on an old address, in use.
type heldConn struct {
	addr   string
	client *redis.Client
	cancel context.CancelFunc
	done   chan struct{}
}

// Start starts the workers; they run until Close.
func Start(cfg Config) (*App, error) {
	switch {
	case cfg.Addr == "":
		return nil, errors.New("app: no Addr: give the cache's DNS name and port, e.g. cache.lab.internal:6379")
	case cfg.DNS == "":
		return nil, errors.New("app: no DNS server address: give the lab DNS server's host:port")
	case cfg.HitKey == nil:
		return nil, errors.New("app: no HitKey: give a function naming keys the data set holds")
	case len(cfg.Passwords) == 0:
		return nil, errors.New("app: no Passwords: map each server IP the name may resolve to to its password")
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("app: Addr %q is not name:port: %v", cfg.Addr, err)
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 200
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.MaxConnAge <= 0 {
		cfg.MaxConnAge = 30 * time.Second
	}
	a := &App{cfg: cfg, resolver: newResolver(cfg.DNS), conns: map[string]int{}, acked: map[string]int64{}}
	a.client.Store(a.newClient())
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	interval := time.Duration(cfg.Workers) * time.Second / time.Duration(cfg.Rate)
	for w := range cfg.Workers {
		a.wg.Go(func() { a.work(ctx, w, interval) })
	}
	return a, nil
}

// pool is the app's client: one server's, or a cluster's.
type pool struct{ redis.UniversalClient }

func (a *App) newClient() *pool {
	return &pool{redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:         []string{a.cfg.Addr},
		IsClusterMode: a.cfg.Cluster,
		Dialer:        a.dial,
		ClientName:    ClientName,
		Protocol:      2, DisableIdentity: true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		PoolSize:                 a.cfg.Workers,
		ConnMaxLifetime:          a.cfg.MaxConnAge,
		DialTimeout:              dialTimeout,
		ReadTimeout:              time.Second,
		WriteTimeout:             time.Second,
		MaxRetries:               1,
	})}
}

// Restart closes every connection and reconnects, resolving the name again,
// as a rolling restart of an application does.
func (a *App) Restart() {
	old := a.client.Swap(a.newClient())
	a.restarts.Add(1)
	_ = old.Close()
}

// RestartHolding restarts as Restart does, but one worker keeps its pooled
// connection to the server the application used until now and goes on
// using it, a GET a second, as a process that cached the old DNS answer
// does, until Release. It fails when the app has not connected yet.
func (a *App) RestartHolding() (string, error) {
	a.mu.Lock()
	addr := a.lastAddr
	a.mu.Unlock()
	if addr == "" {
		return "", errors.New("app: no connection made yet: nothing to hold")
	}
	c := redis.NewClient(&redis.Options{
		Addr:       addr,
		Dialer:     func(ctx context.Context, _, _ string) (net.Conn, error) { return a.connect(ctx, addr) },
		ClientName: ClientName,
		Protocol:   2, DisableIdentity: true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		PoolSize:                 1, ConnMaxIdleTime: -1, // never recycled: the straggler
		DialTimeout: dialTimeout, ReadTimeout: time.Second, WriteTimeout: time.Second,
	})
	ctx, cancel := context.WithCancel(context.Background())
	h := &heldConn{addr: addr, client: c, cancel: cancel, done: make(chan struct{})}
	if err := c.Ping(ctx).Err(); err != nil {
		cancel()
		_ = c.Close()
		return "", fmt.Errorf("app: hold a connection on %s: %w", addr, err)
	}
	go func() {
		defer close(h.done)
		every(ctx, time.Second, 0, func(r *rand.Rand) { _ = c.Get(ctx, a.cfg.HitKey(r)).Err() })
	}()
	a.Release()
	a.held.Store(h)
	a.Restart()
	return addr, nil
}

// Release closes the connection RestartHolding kept, if any.
func (a *App) Release() {
	if h := a.held.Swap(nil); h != nil {
		h.cancel()
		<-h.done
		_ = h.client.Close()
	}
}

// Close stops the workers and closes the connections.
func (a *App) Close() {
	a.Release()
	a.cancel()
	a.wg.Wait()
	_ = a.client.Load().Close()
}

// work runs one worker: 70% GETs of seeded keys, 15% GETs of absent keys,
// 15% SETs of the app's own keys.
func (a *App) work(ctx context.Context, id int, interval time.Duration) {
	every(ctx, interval, uint64(id), func(r *rand.Rand) {
		opCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		a.op(opCtx, id, r)
		cancel()
	})
}

// every calls fn each interval, with its own random source, until ctx ends.
func every(ctx context.Context, interval time.Duration, seed uint64, fn func(*rand.Rand)) {
	r := rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano())))
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		fn(r)
	}
}

// op is one operation of worker id. Each worker writes its own keys, so
// the writes of one key are serial and its highest acknowledged sequence
// number is the value the server must hold.
func (a *App) op(ctx context.Context, id int, r *rand.Rand) {
	c := a.client.Load()
	var err error
	switch x := r.IntN(100); {
	case x < 70:
		err = a.get(ctx, c, a.cfg.HitKey(r))
	case x < 85:
		err = a.get(ctx, c, "app:absent:"+strconv.Itoa(r.IntN(1_000_000)))
	case x < 88 && a.script.Load() != nil:
		// Raw EVALSHA, as applications that load their scripts at start do.
		err = c.EvalSha(ctx, *a.script.Load(), []string{"app:counter"}).Err()
	default:
		n := a.cfg.Workers
		key, seq := "app:"+ClientName+":"+strconv.Itoa(r.IntN(10_000/n)*n+id), a.seq.Add(1)
		err = c.Set(ctx, key, seq, time.Hour).Err()
		if err == nil {
			a.sets.Add(1)
			a.mu.Lock()
			a.acked[key] = max(a.acked[key], seq)
			a.mu.Unlock()
		}
	}
	a.ops.Add(1)
	// A client closed by Restart mid-operation is not the server's fault.
	if err != nil && !errors.Is(err, redis.ErrClosed) && ctx.Err() == nil {
		a.errs.Add(1)
		a.mu.Lock()
		a.lastErr, a.lastErrAt = err.Error(), time.Now()
		a.mu.Unlock()
	}
}

func (a *App) get(ctx context.Context, c redis.UniversalClient, key string) error {
	err := c.Get(ctx, key).Err()
	switch {
	case err == nil:
		a.hits.Add(1)
	case errors.Is(err, redis.Nil):
		a.misses.Add(1)
		return nil
	}
	return err
}

func (a *App) connected(addr string) {
	a.dials.Add(1)
	a.mu.Lock()
	a.lastAddr = addr
	a.conns[addr]++
	a.mu.Unlock()
}

func (a *App) disconnected(addr string) {
	a.mu.Lock()
	if a.conns[addr]--; a.conns[addr] <= 0 {
		delete(a.conns, addr)
	}
	a.mu.Unlock()
}

// Acked is, for every key the app wrote, the highest write sequence number
// a server acknowledged: a server that holds a lower one (or none, before
// the key's hour-long TTL ran out) lost an acknowledged write.
func (a *App) Acked() map[string]int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.acked)
}

// Status returns the counters.
func (a *App) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	held := ""
	if h := a.held.Load(); h != nil {
		held = h.addr
	}
	conns := make(map[string]int, len(a.conns))
	for k, v := range a.conns {
		conns[k] = v
	}
	return Status{
		Ops: a.ops.Load(), Hits: a.hits.Load(), Misses: a.misses.Load(), Sets: a.sets.Load(), Errors: a.errs.Load(),
		Dials: a.dials.Load(), Restarts: a.restarts.Load(),
		LastError: a.lastErr, LastErrorAt: a.lastErrAt, LastAddr: a.lastAddr, Conns: conns,
		Held: held,
	}
}
