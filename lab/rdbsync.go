package lab

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// syncIdle bounds the silence while the server prepares the RDB (it sends a
// newline every second meanwhile) and between chunks of the transfer.
const syncIdle = 30 * time.Second

// SnapshotRDB writes a full RDB of the server at addr to w over the
// replication protocol, as `redis-cli --rdb` does: AUTH, REPLCONF rdb-only
// (no replication stream after the file) and SYNC. Without announcing the
// "eof" capability the server sends a disk-based RDB with a length prefix.
func SnapshotRDB(ctx context.Context, addr, password string, w io.Writer) error {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := d.DialContext(dctx, "tcp", addr)
	cancel()
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	rd := bufio.NewReaderSize(&idleConn{conn}, 64<<10)

	if password != "" {
		if err := request(conn, rd, "AUTH", password); err != nil {
			return fmt.Errorf("snapshot %s: AUTH: %w", addr, err)
		}
	}
	if err := request(conn, rd, "REPLCONF", "rdb-only", "1"); err != nil {
		return fmt.Errorf("snapshot %s: REPLCONF rdb-only (needs Redis 7.0+): %w", addr, err)
	}
	if err := send(conn, "SYNC"); err != nil {
		return fmt.Errorf("snapshot %s: SYNC: %w", addr, err)
	}
	size, err := bulkHeader(rd)
	if err != nil {
		return fmt.Errorf("snapshot %s: SYNC: %w", addr, withCtx(ctx, err))
	}
	if n, err := io.CopyN(w, rd, size); err != nil {
		return fmt.Errorf("snapshot %s: after %d of %d bytes: %w", addr, n, size, withCtx(ctx, err))
	}
	return nil
}

// bulkHeader skips the keep-alive newlines and reads "$<size>".
func bulkHeader(rd *bufio.Reader) (int64, error) {
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return 0, err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "-"):
			return 0, fmt.Errorf("refused: %s", line[1:])
		case strings.HasPrefix(line, "$EOF:"):
			return 0, fmt.Errorf("server sent a diskless (EOF-marked) transfer, which was not asked for")
		case strings.HasPrefix(line, "$"):
			n, err := strconv.ParseInt(line[1:], 10, 64)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("bad payload header %q", line)
			}
			return n, nil
		default:
			return 0, fmt.Errorf("unexpected reply %q", line)
		}
	}
}

func send(conn net.Conn, args ...string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = conn.SetWriteDeadline(time.Now().Add(syncIdle))
	_, err := io.WriteString(conn, b.String())
	return err
}

// request sends a command and expects +OK.
func request(conn net.Conn, rd *bufio.Reader, args ...string) error {
	if err := send(conn, args...); err != nil {
		return err
	}
	line, err := rd.ReadString('\n')
	if err != nil {
		return err
	}
	if line = strings.TrimRight(line, "\r\n"); line != "+OK" {
		return fmt.Errorf("%s", strings.TrimPrefix(line, "-"))
	}
	return nil
}

// withCtx prefers the context's error to the closed connection it caused.
func withCtx(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// idleConn renews the read deadline on every read.
type idleConn struct{ net.Conn }

func (c *idleConn) Read(p []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(syncIdle))
	return c.Conn.Read(p)
}
