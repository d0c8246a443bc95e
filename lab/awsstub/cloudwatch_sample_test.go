package awsstub

import (
	"testing"
	"time"
)

// With SampleEvery set, INFO is sampled without any GetMetricData, so a
// first query's rates cover recent traffic rather than the server's life.
func TestSampleEveryCollectsInBackground(t *testing.T) {
	l := newLab(t, func(c *Config) { c.SampleEvery = 20 * time.Millisecond })
	l.info.set("# Stats\r\ntotal_commands_processed:100\r\n")
	deadline := time.Now().Add(2 * time.Second)
	for {
		l.srv.cw.mu.Lock()
		n := len(l.srv.cw.samples)
		l.srv.cw.mu.Unlock()
		if n >= 3 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d INFO samples after 2 s of 20 ms sampling", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
