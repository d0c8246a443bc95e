package servers

import (
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:   `"plain"`,
		`a"b\c d`: `"a\"b\\c d"`,
		"é\n":     `"\xc3\xa9\x0a"`,
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestPickBlockAndFreePort(t *testing.T) {
	for range 100 {
		b := PickBlock()
		if b.A < 1 || b.A > 254 || !strings.HasPrefix(b.Host(7), b.Prefix()) {
			t.Fatalf("bad block %v", b)
		}
	}
	b := PickBlock()
	port, err := FreePort(b.Host(1), b.Host(2), b.Host(3))
	if err != nil {
		t.Fatal(err)
	}
	if !PortFree(port, b.Host(1), b.Host(2)) {
		t.Fatalf("port %d not free", port)
	}
}
