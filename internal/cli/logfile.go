package cli

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cutover/cutover/runbook"
)

// openLog returns a logger appending redacted lines to path. Logging never
// goes to the screen; a log file that cannot be opened only loses the log.
func openLog(path string, r *runbook.Redactor) func(string, ...any) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return func(string, ...any) {}
	}
	var mu sync.Mutex
	return func(format string, args ...any) {
		line := r.Scrub(fmt.Sprintf(format, args...))
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(f, "%s %s\n", time.Now().UTC().Format(time.RFC3339Nano), line)
	}
}
