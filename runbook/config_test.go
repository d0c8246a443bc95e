package runbook

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var goodEnv = env(map[string]string{"SOURCE_PASSWORD": "source-Pa55word", "SENTINEL_PASSWORD": "sentinel-Pa55word", "APP_PASSWORD": "app-Pa55word", "AWS_REGION": "eu-west-1",
	"CHAT_WEBHOOK": "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX"})

func TestLoadFullConfig(t *testing.T) {
	c, err := LoadConfig("testdata/good.yaml", goodEnv)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata")
	checks := []struct {
		name      string
		got, want any
	}{
		{"path", c.Path, "testdata/good.yaml"},
		{"dir", c.Dir, dir},
		{"operator", c.Operator, "alice"},
		{"journal resolved against the file", c.Journal, filepath.Join(dir, "state/cutover.journal")},
		{"log defaulted and resolved", c.Log, filepath.Join(dir, "cutover.log")},
		{"poll interval", c.PollInterval.Duration, 500 * time.Millisecond},
		{"source password from the environment", c.Source.Secret.Value, "source-Pa55word"},
		{"target password from a file, newline trimmed", c.Target.Secret.Value, "target-Pa55word"},
		{"sentinel password", c.Target.Sentinel.Secret.Value, "sentinel-Pa55word"},
		{"CA file resolved", c.Target.TLS.CAFile, filepath.Join(dir, "tls/ca.pem")},
		{"data dir resolved", c.Target.DataDir, filepath.Join(dir, "data")},
		{"region from AWS_REGION", c.AWS.Region, "eu-west-1"},
		{"sentinels", len(c.Target.Sentinel.Addrs), 3},
		{"users", len(c.Target.Users), 2},
		{"user password from the environment", c.Target.Users[0].Secret.Value, "app-Pa55word"},
		{"user password from a file", c.Target.Users[1].Secret.Value, "reporting-Pa55word"},
		{"dns provider default", c.DNS.Provider, "route53"},
		{"dns ttl default", c.DNS.TTL, int64(30)},
		{"watch duration set", c.Thresholds.WatchDuration.Duration, 5 * time.Minute},
		{"sample keys set", c.Thresholds.SampleKeys, 500},
		{"parity default", c.Thresholds.ParityTolerance, 0.001},
		{"baseline default", c.Thresholds.BaselineWindow.Duration, 30 * time.Second},
		{"webhook URL from the environment", c.Notify.Webhook.URL, "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX"},
		{"routing key from a file, newline trimmed", c.Notify.PagerDuty.RoutingKey, "R0ut1ngKeyR0ut1ngKeyR0ut1ngKey12"},
		{"pagerduty endpoint default", c.Notify.PagerDuty.Endpoint, PagerDutyChangeURL},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	r := c.Redactor()
	if got := r.Scrub("source-Pa55word target-Pa55word sentinel-Pa55word app-Pa55word reporting-Pa55word https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX R0ut1ngKeyR0ut1ngKeyR0ut1ngKey12"); got != "[redacted] [redacted] [redacted] [redacted] [redacted] [redacted] [redacted]" {
		t.Errorf("the config's redactor missed a secret: %q", got)
	}
}

func TestLoadMinimalConfigAppliesDefaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cutover.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path, env(map[string]string{"SRC_PW": "s", "DST_PW": "d"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Thresholds{ParityTolerance: 0.001, SampleKeys: 1000, TTLTolerance: Duration{5 * time.Second},
		LatencyMargin: 0.25, HitRateMargin: 0.05, WatchDuration: Duration{2 * time.Minute}, Convergence: 0.99,
		BaselineWindow: Duration{30 * time.Second}, LatencySlack: Duration{500 * time.Microsecond},
		StragglersQuiet: Duration{30 * time.Second}, StragglersTimeout: Duration{5 * time.Minute},
		LiveLag: Duration{time.Second}, LiveClients: Duration{10 * time.Minute}}
	if c.Thresholds != want {
		t.Errorf("thresholds %+v\nwant       %+v", c.Thresholds, want)
	}
	if c.Journal != filepath.Join(dir, "cutover.journal") || c.Log != filepath.Join(dir, "cutover.log") ||
		c.PollInterval.Duration != time.Second || c.DNS.TTL != 30 || c.Lab != nil ||
		c.Notify.Webhook != nil || c.Notify.PagerDuty != nil {
		t.Errorf("defaults: journal %s, log %s, poll %s, ttl %d, lab %v", c.Journal, c.Log, c.PollInterval, c.DNS.TTL, c.Lab)
	}
	if got := fmt.Sprint(c.Cost); got != "{100 10 4 1 4 40 1.5 [r7g m7g r6g]}" {
		t.Errorf("cost defaults %s", got)
	}
	if c.Source.Secret.Value != "s" || c.Target.Secret.Value != "d" {
		t.Errorf("secrets %q %q", c.Source.Secret.Value, c.Target.Secret.Value)
	}
}

// Every prefix of a good config is bad input of some kind; none may panic.
func TestLoadConfigNeverPanics(t *testing.T) {
	good, err := os.ReadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cutover.yaml")
	for n := range len(good) {
		if err := os.WriteFile(path, good[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("LoadConfig panicked on the first %d bytes: %v", n, r)
				}
			}()
			LoadConfig(path, goodEnv)
		}()
	}
}
