package probes

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// EndpointError is a failure talking to a configured endpoint, with what
// Explain needs to name the config field to fix.
type EndpointError struct {
	Role        string        // "source", "target", "target.sentinel"
	Addr        string        // host:port dialed
	SecretField string        // e.g. "source.password_env"
	HasUser     bool          // a username was configured
	Elapsed     time.Duration // how long the command took before failing
	Err         error
}

func (e *EndpointError) Error() string { return e.Role + " " + e.Addr + ": " + e.Err.Error() }
func (e *EndpointError) Unwrap() error { return e.Err }

func errBadURL(raw string) error {
	return fmt.Errorf("%q is not a redis:// or rediss:// URL", raw)
}

// explainHook wraps command failures in an EndpointError so that Explain
// can say which endpoint and which config field is at fault.
type explainHook struct {
	role, secret, addr string
	user               bool
}

func (h explainHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h explainHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		if w := h.wrap(err, time.Since(start)); w != err {
			cmd.SetErr(w)
			return w
		}
		return err
	}
}

func (h explainHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		w := h.wrap(err, time.Since(start))
		if w == err {
			return err
		}
		for _, c := range cmds {
			if c.Err() == err {
				c.SetErr(w)
			}
		}
		return w
	}
}

// wrap leaves alone what callers compare by identity (redis.Nil) and what
// is already wrapped.
func (h explainHook) wrap(err error, elapsed time.Duration) error {
	var ee *EndpointError
	if err == nil || err == redis.Nil || errors.As(err, &ee) {
		return err
	}
	return &EndpointError{Role: h.role, Addr: h.addr, SecretField: h.secret, HasUser: h.user, Elapsed: elapsed, Err: err}
}

// Explain turns an error from a probe into one plain line that says what
// is wrong and, where it can, which setting to check. It never includes
// a secret.
func Explain(err error) string {
	if err == nil {
		return ""
	}
	var ee *EndpointError
	if !errors.As(err, &ee) {
		ee = &EndpointError{Err: err}
	}
	addr := ee.Addr
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		addr = op.Addr.String()
	}
	role := ee.Role
	if role == "" {
		role = "the server"
	}
	var (
		dnsErr   *net.DNSError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		rerr     redis.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case isTimeout(err):
		if ee.Elapsed > 0 {
			return fmt.Sprintf("timed out after %s waiting for %s", ee.Elapsed.Round(100*time.Millisecond), orUnknown(addr))
		}
		return "timed out waiting for " + orUnknown(addr)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused at " + orUnknown(addr)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to " + orUnknown(addr)
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return fmt.Sprintf("cannot resolve %s: no such host", dnsErr.Name)
		}
		return fmt.Sprintf("cannot resolve %s: %s", dnsErr.Name, dnsErr.Err)
	case errors.As(err, &unknown):
		return fmt.Sprintf("TLS handshake failed: certificate signed by unknown authority (check %s.tls.ca_file)", role)
	case errors.As(err, &hostname):
		return fmt.Sprintf("TLS handshake failed: the certificate is not valid for %s (check %s.tls.server_name)", hostname.Host, role)
	case errors.As(err, &invalid):
		return "TLS handshake failed: " + invalid.Error()
	case errors.As(err, &record):
		return fmt.Sprintf("TLS handshake failed: %s does not speak TLS (use a redis:// URL)", orUnknown(addr))
	case errors.As(err, &rerr):
		return explainRedis(rerr.Error(), ee, role, addr)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return orUnknown(addr) + " closed the connection"
	case errors.Is(err, redis.ErrClosed):
		return "the connection to " + role + " is closed"
	}
	return firstLine(ee.Err.Error())
}

func explainRedis(msg string, ee *EndpointError, role, addr string) string {
	msg = firstLine(msg)
	code, _, _ := strings.Cut(msg, " ")
	field := ee.SecretField
	if field == "" {
		field = "the password setting"
	}
	switch code {
	case "WRONGPASS":
		if ee.HasUser {
			return fmt.Sprintf("WRONGPASS: the username or password for %s is wrong (check %s.username and %s)", role, role, field)
		}
		return fmt.Sprintf("WRONGPASS: the password for %s is wrong (check %s)", role, field)
	case "NOAUTH":
		return fmt.Sprintf("NOAUTH: %s requires a password (set %s)", role, field)
	case "NOPERM":
		return fmt.Sprintf("NOPERM: the %s user may not run this command: %s", role, strings.TrimPrefix(msg, "NOPERM "))
	case "LOADING":
		return fmt.Sprintf("LOADING: %s is loading its data set; retry in a moment", orUnknown(addr))
	}
	return msg
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func orUnknown(addr string) string {
	if addr == "" {
		return "the server"
	}
	return addr
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
