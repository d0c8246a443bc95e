package load

import (
	"bytes"
	"testing"
)

// withAsking puts ASKING before every command of a key rebuilt with
// several, binary arguments included.
func TestWithAsking(t *testing.T) {
	var cmds []byte
	args := [][]any{{"DEL", []byte("k\r\n*1")}, {"RPUSH", []byte("k\r\n*1"), []byte("$3\r\n"), "b"}, {"PEXPIREAT", []byte("k\r\n*1"), int64(123)}}
	for _, a := range args {
		cmds, _ = appendCommand(cmds, a)
	}
	got := withAsking(nil, cmds)
	var want []byte
	for _, a := range args {
		want, _ = appendCommand(want, []any{"ASKING"})
		want, _ = appendCommand(want, a)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("withAsking:\n%q\nwant\n%q", got, want)
	}
	for _, e := range []string{"MOVED 3999 127.0.0.1:6381", "ASK 0 h:1"} {
		if _, ok := parseRedirect(replyError(e)); !ok {
			t.Fatalf("%q is a redirect", e)
		}
	}
	for _, e := range []string{"MOVED 16384 h:1", "MOVED x h:1", "ERR MOVED", "ASK 1"} {
		if _, ok := parseRedirect(replyError(e)); ok {
			t.Fatalf("%q is not a redirect", e)
		}
	}
}
