package app

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// dialTimeout bounds one DNS lookup plus TCP connect plus AUTH.
const dialTimeout = 2 * time.Second

// newResolver resolves through the lab's DNS server only. The pure Go
// resolver keeps no cache, so every dial sees the current record.
func newResolver(dnsAddr string) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, dnsAddr)
		},
	}
}

// dial resolves the name afresh, connects to the first address and
// authenticates with the password known for that address: source and target
// have different passwords, as in a real migration.
func (a *App) dial(ctx context.Context, _, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := a.resolver.LookupIP(ctx, "ip4", host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	ip := ips[0].String()
	if _, ok := a.cfg.Passwords[ip]; !ok {
		return nil, fmt.Errorf("%s resolved to %s, for which no password is known", host, ip)
	}
	return a.connect(ctx, net.JoinHostPort(ip, port))
}

// connect dials ip:port and authenticates with that server's password.
func (a *App) connect(ctx context.Context, target string) (net.Conn, error) {
	ip, _, err := net.SplitHostPort(target)
	if err != nil {
		return nil, err
	}
	password, ok := a.cfg.Passwords[ip]
	if !ok {
		return nil, fmt.Errorf("no password is known for %s", target)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		return nil, err
	}
	if err := auth(ctx, c, password); err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	a.connected(target)
	return &trackedConn{TCPConn: c.(*net.TCPConn), onClose: func() { a.disconnected(target) }}, nil
}

// auth sends AUTH before go-redis sees the connection, which then needs no
// password of its own.
func auth(ctx context.Context, c net.Conn, password string) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
		defer c.SetDeadline(time.Time{})
	}
	cmd := "*2\r\n$4\r\nAUTH\r\n$" + strconv.Itoa(len(password)) + "\r\n" + password + "\r\n"
	if _, err := c.Write([]byte(cmd)); err != nil {
		return fmt.Errorf("send AUTH: %w", err)
	}
	// The server sends nothing else until asked, so no byte after the reply
	// is lost to this reader.
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read AUTH reply: %w", err)
	}
	if line = strings.TrimSpace(line); line != "+OK" {
		return fmt.Errorf("AUTH refused: %s", strings.TrimPrefix(line, "-"))
	}
	return nil
}

// trackedConn reports its close once, so the app knows which servers it
// holds connections to. Embedding *net.TCPConn keeps SyscallConn, which
// go-redis uses to check pooled connections.
type trackedConn struct {
	*net.TCPConn
	once    sync.Once
	onClose func()
}

func (c *trackedConn) Close() error {
	c.once.Do(c.onClose)
	return c.TCPConn.Close()
}
