package probes

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// Not parallel: it swaps go-redis's process-wide logger.
func TestLogRedisTo(t *testing.T) {
	var lines []string
	LogRedisTo(func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) })
	defer LogRedisTo(func(string, ...any) {})
	c := Client(target(closedAddr(t), "x"), "test")
	defer c.Close()
	_ = c.Ping(context.Background()).Err()
	if len(lines) == 0 || !strings.Contains(lines[0], "connection refused") {
		t.Fatalf("go-redis logged %q", lines)
	}
}
