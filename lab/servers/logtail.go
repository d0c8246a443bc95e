package servers

import (
	"bytes"
	"io"
	"os"
	"strings"
)

// lastLines returns up to n non-empty trailing lines of a file; a missing
// file yields none.
func lastLines(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	const window = 8 << 10
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil
	}
	start := max(size-window, 0)
	buf := make([]byte, size-start)
	if _, err := f.ReadAt(buf, start); err != nil && err != io.EOF {
		return nil
	}
	var lines []string
	for _, l := range bytes.Split(buf, []byte("\n")) {
		if s := strings.TrimSpace(string(l)); s != "" {
			lines = append(lines, s)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// joinTail keeps an error message on one line.
func joinTail(lines []string) string {
	return strings.Join(lines, " | ")
}
