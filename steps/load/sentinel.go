package load

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// pauseFailover raises down-after-milliseconds on every sentinel so the
// restart is not taken for a failure; resume puts the old values back.
func pauseFailover(ctx context.Context, cfg *runbook.Config, logf func(string, ...any)) (resume func(), err error) {
	t := cfg.Target
	hold := strconv.FormatInt((restartBudget + time.Minute).Milliseconds(), 10)
	type saved struct{ addr, value string }
	var done []saved
	resume = func() {
		// The caller's context may be gone by now; this must still happen.
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, s := range done {
			sc := probes.SentinelClient(t, s.addr, "load")
			if err := sc.Set(rctx, t.Sentinel.Master, "down-after-milliseconds", s.value).Err(); err != nil {
				logf("could not restore down-after-milliseconds %s on sentinel %s: %s; set it by hand", s.value, s.addr, probes.Explain(err))
			} else {
				logf("sentinel %s: down-after-milliseconds back to %s", s.addr, s.value)
			}
			sc.Close()
		}
	}
	for _, addr := range t.Sentinel.Addrs {
		sc := probes.SentinelClient(t, addr, "load")
		cctx, cancel := context.WithTimeout(ctx, probes.DefaultTimeout)
		m, err := sc.Master(cctx, t.Sentinel.Master).Result()
		if err == nil {
			err = sc.Set(cctx, t.Sentinel.Master, "down-after-milliseconds", hold).Err()
		}
		cancel()
		sc.Close()
		if err != nil {
			resume()
			return nil, fmt.Errorf("cannot hold off failover on sentinel %s: %s; nothing was changed on the target", addr, probes.Explain(err))
		}
		done = append(done, saved{addr, m["down-after-milliseconds"]})
		logf("sentinel %s: down-after-milliseconds %s -> %s for the restart", addr, m["down-after-milliseconds"], hold)
	}
	return resume, nil
}
