package load

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
)

// The loader speaks RESP2 itself: commands are appended straight into a
// batch buffer (no per-command allocation) and replies are only checked.

func appendHeader(b []byte, n int) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

func appendBulkLen(b []byte, n int) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

func appendBulk(b, s []byte) []byte {
	b = appendBulkLen(b, len(s))
	b = append(b, s...)
	return append(b, '\r', '\n')
}

func appendBulkString(b []byte, s string) []byte {
	b = appendBulkLen(b, len(s))
	b = append(b, s...)
	return append(b, '\r', '\n')
}

func appendBulkInt(b []byte, n int64) []byte {
	var tmp [20]byte
	return appendBulk(b, strconv.AppendInt(tmp[:0], n, 10))
}

// appendCommand encodes a command whose arguments are strings, []byte or
// integers (what rdb.Commands emits).
func appendCommand(b []byte, args []any) ([]byte, error) {
	b = appendHeader(b, len(args))
	for _, a := range args {
		switch v := a.(type) {
		case string:
			b = appendBulkString(b, v)
		case []byte:
			b = appendBulk(b, v)
		case int:
			b = appendBulkInt(b, int64(v))
		case int64:
			b = appendBulkInt(b, v)
		case uint64:
			b = appendBulkString(b, strconv.FormatUint(v, 10))
		default:
			return b, fmt.Errorf("cannot send a %T argument", a)
		}
	}
	return b, nil
}

// replyError is an error reply from the server ("-ERR ...").
type replyError string

func (e replyError) Error() string { return string(e) }

// maxReplyBulk bounds a bulk reply the loader accepts; it never asks for
// values, so anything big is a protocol error.
const maxReplyBulk = 1 << 20

// readReply reads one reply and returns its error reply, if any. Nested
// arrays are read through. A nil return with a nil error is a success.
func readReply(r *bufio.Reader) (replyError, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return "", err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return "", fmt.Errorf("malformed reply %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', ':':
		return "", nil
	case '-':
		return replyError(body), nil
	case '$':
		n, err := strconv.Atoi(string(body))
		if err != nil || n > maxReplyBulk {
			return "", fmt.Errorf("malformed bulk reply header %q", line)
		}
		if n < 0 {
			return "", nil
		}
		_, err = r.Discard(n + 2)
		return "", err
	case '*':
		n, err := strconv.Atoi(string(body))
		if err != nil || n > 1<<20 {
			return "", fmt.Errorf("malformed array reply header %q", line)
		}
		var first replyError
		for range max(n, 0) {
			e, err := readReply(r)
			if err != nil {
				return "", err
			}
			if first == "" {
				first = e
			}
		}
		return first, nil
	}
	return "", errors.New("unexpected reply type " + strconv.Quote(string(line[:1])))
}
