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
		code := runChild(v)
		if code == 0 {
			fmt.Println("peak-rss-kb:", peakRSS())
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// runChild loads a file as `cutover rdb load` does, or with
// "cluster|FILE,FILE,...|SEED" shard files into a cluster as migrate.load
// does.
func runChild(v string) int {
	if rest, ok := strings.CutPrefix(v, "cluster|"); ok {
		files, seed, _ := strings.Cut(rest, "|")
		if err := loadShards(seed, strings.Split(files, ",")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	path, addr, _ := strings.Cut(v, "|")
	c := probes.Client(runbook.Endpoint{Kind: "standalone", URL: "redis://" + addr}, "load", probes.Timeout(10*time.Second))
	defer c.Close()
	if _, _, err := File(context.Background(), c, path, Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// peakRSS is this process's VmHWM in KB, from /proc/self/status.
func peakRSS() string {
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSuffix(strings.TrimSpace(v), " kB")
		}
	}
	return "unknown"
}
