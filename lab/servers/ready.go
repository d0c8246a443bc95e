package servers

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// SentinelsReady waits until every sentinel passes CKQUORUM for master,
// knows all the other sentinels and lists each replica (host:port) with its
// link up: only then can a failover be asked for at once. Sentinels learn of
// each other from hello messages every 2 s, so this takes a few seconds.
func SentinelsReady(ctx context.Context, master string, replicas []string, sentinels ...*Sentinel) error {
	var last error
	for {
		last = nil
		for _, s := range sentinels {
			if err := sentinelReady(ctx, s, master, replicas, len(sentinels)-1); err != nil {
				last = fmt.Errorf("sentinel %s: %w", s.Addr(), err)
				break
			}
		}
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sentinels for %s not ready: %w", master, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func sentinelReady(ctx context.Context, s *Sentinel, master string, replicas []string, others int) error {
	cmds := [][]string{{"SENTINEL", "CKQUORUM", master}, {"SENTINEL", "MASTER", master}, {"SENTINEL", "REPLICAS", master}}
	if s.Password != "" {
		cmds = append([][]string{{"AUTH", s.Password}}, cmds...)
	}
	got, err := roundTrip(ctx, s.Addr(), time.Second, cmds...)
	if err != nil {
		return err
	}
	got = got[len(got)-3:]
	if n := pairs(got[1])["num-other-sentinels"]; n != strconv.Itoa(others) {
		return fmt.Errorf("knows %s other sentinels, want %d", n, others)
	}
	seen := map[string]bool{}
	list, _ := got[2].([]any)
	for _, r := range list {
		f := pairs(r)
		if f["master-link-status"] == "ok" && !strings.Contains(f["flags"], "down") {
			seen[net.JoinHostPort(f["ip"], f["port"])] = true
		}
	}
	for _, r := range replicas {
		if !seen[r] {
			return fmt.Errorf("replica %s not yet seen with its link up", r)
		}
	}
	return nil
}

// pairs turns a flat key/value array reply into a map.
func pairs(v any) map[string]string {
	list, _ := v.([]any)
	m := make(map[string]string, len(list)/2)
	for i := 0; i+1 < len(list); i += 2 {
		m[fmt.Sprint(list[i])] = fmt.Sprint(list[i+1])
	}
	return m
}
