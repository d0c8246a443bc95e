package servers

import (
	"fmt"
	"os"
	"strings"
)

// quote renders s as a redis.conf argument: double-quoted, with \xHH for
// anything that is not printable ASCII (redis.conf knows no \u escapes).
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			fmt.Fprintf(&b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeConf writes lines to path, readable by the owner only: it may hold
// passwords, which never go on the command line where ps shows them.
func writeConf(path string, lines []string) error {
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// prepareDir creates dir (owner only) and kills servers a previous run left
// in it.
func prepareDir(dir string) error {
	if dir == "" {
		return fmt.Errorf("no directory given for the server's files: set Dir")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	KillStale(dir)
	return nil
}

// hasDirective reports whether any extra line sets the named directive.
func hasDirective(extra []string, name string) bool {
	for _, l := range extra {
		f := strings.Fields(l)
		if len(f) > 0 && strings.EqualFold(f[0], name) {
			return true
		}
	}
	return false
}
