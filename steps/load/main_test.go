package load

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// childEnv makes the test binary a loader child process ("FILE|ADDR"), so
// the benchmark can measure the loader's peak RSS on its own.
const childEnv = "CUTOVER_LOAD_CHILD"

func TestMain(m *testing.M) {
	if v := os.Getenv(childEnv); v != "" {
		os.Exit(runChild(v))
	}
	os.Exit(m.Run())
}

// runChild loads a file as `cutover rdb load` does.
func runChild(v string) int {
	path, addr, _ := strings.Cut(v, "|")
	c := probes.Client(runbook.Endpoint{Kind: "standalone", URL: "redis://" + addr}, "load", probes.Timeout(10*time.Second))
	defer c.Close()
	if _, _, err := File(context.Background(), c, path, Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
