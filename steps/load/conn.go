package load

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// ioTimeout bounds each write of a batch and the wait for each reply (a
// big RESTORE can take the server a while).
const ioTimeout = 60 * time.Second

// conn is one raw pipelined connection to the target.
type conn struct {
	nc   net.Conn
	r    *bufio.Reader
	db   int    // the selected database
	addr string // host:port, for errors
}

// dialConn connects with the client's dialer (so TLS applies), then AUTH
// and CLIENT SETNAME.
func dialConn(ctx context.Context, opt *redis.Options) (*conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	nc, err := opt.Dialer(dctx, "tcp", opt.Addr)
	if err != nil {
		return nil, err
	}
	c := &conn{nc: nc, r: bufio.NewReaderSize(nc, 64<<10), addr: opt.Addr}
	var hello []byte
	if opt.Password != "" {
		args := []any{"AUTH", opt.Password}
		if opt.Username != "" {
			args = []any{"AUTH", opt.Username, opt.Password}
		}
		hello, _ = appendCommand(hello, args)
	}
	hello, _ = appendCommand(hello, []any{"CLIENT", "SETNAME", "cutover-load"})
	if err := c.write(hello); err != nil {
		nc.Close()
		return nil, err
	}
	if opt.Password != "" {
		if e, err := c.reply(); err != nil || e != "" {
			nc.Close()
			if err == nil {
				err = fmt.Errorf("AUTH: %s", e)
			}
			return nil, err
		}
	}
	// Some servers refuse CLIENT SETNAME; the name is a courtesy.
	if _, err := c.reply(); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

func (c *conn) write(b []byte) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(ioTimeout))
	_, err := c.nc.Write(b)
	return err
}

func (c *conn) reply() (replyError, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	return readReply(c.r)
}

func (c *conn) close() { c.nc.Close() }
