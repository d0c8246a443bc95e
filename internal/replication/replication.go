// Package replication reads a full RDB from a server over the replication
// protocol (PSYNC, else SYNC), as `redis-cli --rdb` does. The snapshot and
// backup steps and the lab's AWS stand-in all use it; it is not a step, so
// the lab does not depend on one.
package replication

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// idleTimeout bounds the silence while the server forks and writes the
// RDB (it sends a newline every second meanwhile) and between chunks of
// the transfer.
const idleTimeout = 60 * time.Second

// Progress is called with the bytes received so far and the total, which
// is 0 while unknown (a diskless transfer announces no length).
type Progress func(done, total int64)

// Replicate writes a full RDB of the server at addr to w over the
// replication protocol, as `redis-cli --rdb` does, and returns its size.
// password may be empty. For a username or TLS use ReplicateWith.
func Replicate(ctx context.Context, addr, password string, w io.Writer, progress Progress) (int64, error) {
	return ReplicateWith(ctx, &redis.Options{Addr: addr, Password: password}, w, progress)
}

// ReplicateWith is Replicate for the server a go-redis client reaches: its
// Addr, Dialer (so TLS settings apply), Username and Password. It sends
// AUTH, REPLCONF capa eof (so a diskless server may stream the file),
// REPLCONF rdb-only 1 (Redis 7.0+: no replication stream after the file;
// ignored where unknown) and SYNC, or PSYNC ? -1 when SYNC is refused, and
// accepts both the `$<length>` and the diskless `$EOF:<mark>` framing.
func ReplicateWith(ctx context.Context, opt *redis.Options, w io.Writer, progress Progress) (int64, error) {
	n, err := replicate(ctx, opt, "SYNC", w, progress)
	var refused *refusedError
	if errors.As(err, &refused) && n == 0 && ctx.Err() == nil {
		// SYNC may be renamed or disabled where PSYNC is not.
		n, err = replicate(ctx, opt, "PSYNC", w, progress)
	}
	if err != nil {
		return n, fmt.Errorf("snapshot of %s over the replication protocol: %w", opt.Addr, err)
	}
	return n, nil
}

// refusedError is the server's error reply to SYNC or PSYNC.
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return "the server refused: " + e.msg }

func replicate(ctx context.Context, opt *redis.Options, syncCmd string, w io.Writer, progress Progress) (int64, error) {
	conn, err := dial(ctx, opt)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c := &replConn{conn: conn, rd: bufio.NewReaderSize(&idleReader{conn}, 256<<10)}

	if opt.Password != "" {
		args := []string{"AUTH", opt.Password}
		if opt.Username != "" {
			args = []string{"AUTH", opt.Username, opt.Password}
		}
		if err := c.expectOK(args...); err != nil {
			return 0, withCtx(ctx, fmt.Errorf("AUTH: %w", err))
		}
	}
	// Named like every cutover connection, so CLIENT LIST tells it from
	// a real replica; a server that refuses the name is no reason to stop.
	_ = c.expectOK("CLIENT", "SETNAME", "cutover-snapshot")
	if err := c.expectOK("REPLCONF", "capa", "eof"); err != nil {
		return 0, withCtx(ctx, fmt.Errorf("REPLCONF capa eof: %w", err))
	}
	// Before 7.0 the server does not know rdb-only and would follow the
	// file with the replication stream, which we never read.
	var serr *serverError
	if err := c.expectOK("REPLCONF", "rdb-only", "1"); err != nil && !errors.As(err, &serr) {
		return 0, withCtx(ctx, fmt.Errorf("REPLCONF rdb-only: %w", err))
	}
	args := []string{"SYNC"}
	if syncCmd == "PSYNC" {
		args = []string{"PSYNC", "?", "-1"}
	}
	if err := c.send(args...); err != nil {
		return 0, withCtx(ctx, fmt.Errorf("%s: %w", syncCmd, err))
	}
	size, mark, err := c.payloadHeader()
	if err != nil {
		return 0, withCtx(ctx, fmt.Errorf("%s: %w", syncCmd, err))
	}
	var n int64
	if mark != nil {
		n, err = copyUntilMark(w, c.rd, mark, progress)
	} else {
		n, err = copySized(w, c.rd, size, progress)
	}
	if err != nil {
		return n, withCtx(ctx, err)
	}
	return n, nil
}

func dial(ctx context.Context, opt *redis.Options) (net.Conn, error) {
	d := opt.Dialer
	if d == nil {
		o := *opt
		o.DialTimeout = orDefault(opt.DialTimeout, 5*time.Second)
		d = redis.NewDialer(&o)
	}
	dctx, cancel := context.WithTimeout(ctx, orDefault(opt.DialTimeout, 5*time.Second))
	defer cancel()
	conn, err := d(dctx, "tcp", opt.Addr)
	if err != nil {
		return nil, withCtx(ctx, err)
	}
	return conn, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// withCtx prefers the context's error to the closed connection it caused.
func withCtx(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

// serverError is an error reply to a setup command.
type serverError struct{ msg string }

func (e *serverError) Error() string { return e.msg }

// replConn speaks just enough RESP for the handshake.
type replConn struct {
	conn net.Conn
	rd   *bufio.Reader
}

func (c *replConn) send(args ...string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(idleTimeout))
	_, err := io.WriteString(c.conn, b.String())
	return err
}

func (c *replConn) line() (string, error) {
	line, err := c.rd.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// expectOK sends a command and wants +OK; an error reply is a *serverError.
func (c *replConn) expectOK(args ...string) error {
	if err := c.send(args...); err != nil {
		return err
	}
	line, err := c.line()
	switch {
	case err != nil:
		return err
	case strings.HasPrefix(line, "-"):
		return &serverError{line[1:]}
	case line != "+OK":
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

// eofMarkLen is the size of the random mark that ends a diskless transfer.
const eofMarkLen = 40

// payloadHeader skips the keep-alive newlines and a +FULLRESYNC line and
// reads "$<size>" or "$EOF:<mark>".
func (c *replConn) payloadHeader() (size int64, mark []byte, err error) {
	for {
		line, err := c.line()
		if err != nil {
			return 0, nil, err
		}
		switch {
		case line == "" || strings.HasPrefix(line, "+FULLRESYNC") || strings.HasPrefix(line, "+CONTINUE"):
			continue
		case strings.HasPrefix(line, "-"):
			return 0, nil, &refusedError{line[1:]}
		case strings.HasPrefix(line, "$EOF:"):
			if len(line) != len("$EOF:")+eofMarkLen {
				return 0, nil, fmt.Errorf("bad diskless payload header %q", line)
			}
			return 0, []byte(line[len("$EOF:"):]), nil
		case strings.HasPrefix(line, "$"):
			n, err := strconv.ParseInt(line[1:], 10, 64)
			if err != nil || n < 0 {
				return 0, nil, fmt.Errorf("bad payload header %q", line)
			}
			return n, nil, nil
		default:
			return 0, nil, fmt.Errorf("unexpected reply %q", line)
		}
	}
}

// progressEvery is how often progress is reported, in bytes.
const progressEvery = 1 << 20

func copySized(w io.Writer, r io.Reader, size int64, progress Progress) (int64, error) {
	var done int64
	buf := make([]byte, 128<<10)
	next := int64(0)
	for done < size {
		chunk := buf[:min(int64(len(buf)), size-done)]
		k, err := io.ReadFull(r, chunk)
		if k > 0 {
			if _, werr := w.Write(chunk[:k]); werr != nil {
				return done, fmt.Errorf("writing the snapshot: %w", werr)
			}
			done += int64(k)
		}
		if err != nil {
			return done, fmt.Errorf("the transfer stopped after %d of %d bytes: %w", done, size, err)
		}
		if progress != nil && (done >= next || done == size) {
			progress(done, size)
			next = done + progressEvery
		}
	}
	if progress != nil && size == 0 {
		progress(0, 0)
	}
	return done, nil
}

// copyUntilMark copies a diskless transfer: the payload is followed by the
// mark, so the last eofMarkLen bytes seen are held back until more arrive.
func copyUntilMark(w io.Writer, r io.Reader, mark []byte, progress Progress) (int64, error) {
	buf := make([]byte, eofMarkLen+128<<10)
	held := 0 // bytes at the start of buf not yet written
	var done int64
	next := int64(0)
	for {
		k, err := r.Read(buf[held:])
		held += k
		if held >= eofMarkLen && string(buf[held-eofMarkLen:held]) == string(mark) {
			if _, werr := w.Write(buf[:held-eofMarkLen]); werr != nil {
				return done, fmt.Errorf("writing the snapshot: %w", werr)
			}
			done += int64(held - eofMarkLen)
			if progress != nil {
				progress(done, done)
			}
			return done, nil
		}
		if err != nil {
			return done, fmt.Errorf("the diskless transfer stopped after %d bytes, before its end mark: %w", done+int64(held), err)
		}
		if out := held - eofMarkLen; out > 0 && held == len(buf) {
			if _, werr := w.Write(buf[:out]); werr != nil {
				return done, fmt.Errorf("writing the snapshot: %w", werr)
			}
			done += int64(out)
			held = copy(buf, buf[out:held])
			if progress != nil && done >= next {
				progress(done, 0)
				next = done + progressEvery
			}
		}
	}
}

// idleReader renews the read deadline on every read.
type idleReader struct{ net.Conn }

func (c *idleReader) Read(p []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(idleTimeout))
	return c.Conn.Read(p)
}
