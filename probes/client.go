package probes

import (
	"context"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/cutover/cutover/runbook"
)

// DefaultTimeout bounds dialing and each read and write.
const DefaultTimeout = 3 * time.Second

// Option adjusts a client made by Client or FailoverClient.
type Option func(*settings)

type settings struct {
	timeout   time.Duration
	addr      string // overrides the URL's host:port
	dir       string // resolves a relative tls.ca_file
	noAuth    bool
	plaintext bool
	poolSize  int
	db        int
}

// Timeout sets the dial, read and write timeouts (default 3s).
func Timeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// Addr connects to host:port instead of the URL's, keeping the TLS server
// name of the URL (to reach a server through a resolved CNAME).
func Addr(hostport string) Option { return func(s *settings) { s.addr = hostport } }

// ConfigDir resolves a relative tls.ca_file against the config's directory.
func ConfigDir(dir string) Option { return func(s *settings) { s.dir = dir } }

// NoAuth connects without username and password, to prove the server
// refuses such clients.
func NoAuth() Option { return func(s *settings) { s.noAuth = true } }

// Plaintext connects without TLS even to a rediss:// URL, to prove the
// server refuses plaintext.
func Plaintext() Option { return func(s *settings) { s.plaintext = true } }

// PoolSize sets the connection pool size (default 2).
func PoolSize(n int) Option { return func(s *settings) { s.poolSize = n } }

// Database selects a database other than 0 on every connection.
func Database(n int) Option { return func(s *settings) { s.db = n } }

func newSettings(opts []Option) settings {
	s := settings{timeout: DefaultTimeout, poolSize: 2}
	for _, o := range opts {
		o(&s)
	}
	return s
}

// Client connects to one endpoint. Nothing is dialed until the first
// command; every failure comes back from the command and reads well
// through Explain. Its connections are named cutover-<purpose> in CLIENT
// LIST.
func Client(ep runbook.Endpoint, purpose string, opts ...Option) *redis.Client {
	s := newSettings(opts)
	o := baseOptions(s, purpose)
	u, err := url.Parse(ep.URL)
	if err != nil || u.Host == "" {
		o.Dialer = failDialer(&EndpointError{Role: roleOf(ep), Err: errBadURL(ep.URL)})
	} else {
		o.Addr = u.Host
		if s.addr != "" {
			o.Addr = s.addr
		}
		if u.Scheme == "rediss" && !s.plaintext {
			tc, err := tlsConfig(ep, u.Hostname(), s.dir)
			if err != nil {
				o.Dialer = failDialer(&EndpointError{Role: roleOf(ep), Addr: o.Addr, Err: err})
			}
			o.TLSConfig = tc
		}
	}
	switch {
	case s.noAuth:
	case ep.IAM:
		o.CredentialsProviderContext = iamCredentials(ep)
	default:
		o.Username, o.Password = ep.Username, ep.Secret.Value
	}
	c := redis.NewClient(o)
	secret := secretField(roleOf(ep), ep.Secret)
	if ep.IAM {
		secret = "the IAM token: the user's elasticache:Connect permission and your AWS credentials"
	}
	c.AddHook(explainHook{role: roleOf(ep), secret: secret, user: ep.Username != "", addr: o.Addr})
	return c
}

// baseOptions are what every cutover connection shares: RESP2 (flat
// replies, and what every engine speaks), no CLIENT SETINFO or maintenance
// notifications (commands ElastiCache may refuse and that would skew the
// command counts), and no retries: a command is sent at most once and a
// failed dial fails at once; the pool's health check drops dead
// connections before reuse.
func baseOptions(s settings, purpose string) *redis.Options {
	name := "cutover-" + sanitizeName(purpose)
	return &redis.Options{
		Protocol:        2,
		DisableIdentity: true,
		DialTimeout:     s.timeout,
		ReadTimeout:     s.timeout,
		WriteTimeout:    s.timeout,
		PoolTimeout:     s.timeout,
		PoolSize:        s.poolSize,
		DB:              s.db,
		MaxIdleConns:    s.poolSize,
		MaxRetries:      -1,
		DialerRetries:   1,
		OnConnect: func(ctx context.Context, cn *redis.Conn) error {
			// Some servers refuse CLIENT SETNAME; the name is a courtesy.
			_ = cn.ClientSetName(ctx, name).Err()
			return nil
		},
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
}

// universal carries baseOptions and the target's credentials into the
// options go-redis derives its Sentinel and cluster clients from.
func universal(t runbook.Target, b *redis.Options) *redis.UniversalOptions {
	return &redis.UniversalOptions{
		Username: t.Username, Password: t.Secret.Value, DB: b.DB, Protocol: b.Protocol, DisableIdentity: b.DisableIdentity,
		DialTimeout: b.DialTimeout, ReadTimeout: b.ReadTimeout, WriteTimeout: b.WriteTimeout, PoolTimeout: b.PoolTimeout,
		PoolSize: b.PoolSize, MaxIdleConns: b.MaxIdleConns, MaxRetries: b.MaxRetries, DialerRetries: b.DialerRetries,
		OnConnect: b.OnConnect, MaintNotificationsConfig: b.MaintNotificationsConfig,
	}
}

// sanitizeName keeps a client name to what CLIENT SETNAME accepts.
func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r > '~' {
			return '-'
		}
		return r
	}, s)
}

func failDialer(err error) func(context.Context, string, string) (net.Conn, error) {
	return func(context.Context, string, string) (net.Conn, error) { return nil, err }
}

// roleOf names an endpoint as the config does: source or target.
func roleOf(ep runbook.Endpoint) string {
	if ep.ElastiCache() || ep.Kind == "redis" {
		return "source"
	}
	return "target"
}

// secretField is the config field that holds an endpoint's password.
func secretField(prefix string, s runbook.Secret) string {
	if s.File != "" {
		return prefix + ".password_file"
	}
	return prefix + ".password_env"
}
