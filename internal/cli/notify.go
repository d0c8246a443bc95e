package cli

import (
	"os"
	"time"

	"github.com/cutover/cutover/notify"
	"github.com/cutover/cutover/runbook"
)

// notifyDrain is how long exit waits for queued notifications.
const notifyDrain = 5 * time.Second

// startNotifier sends the engine's events to the configured webhook and
// PagerDuty; it is nil (and does nothing) when neither is configured.
// Close it at exit.
func startNotifier(eng *runbook.Engine, cfg *runbook.Config, logf func(string, ...any)) *notify.Notifier {
	o := notify.Options{Source: "cutover", Log: func(s string) { logf("%s", s) }}
	if h, err := os.Hostname(); err == nil {
		o.Source = "cutover on " + h
	}
	if w := cfg.Notify.Webhook; w != nil {
		o.WebhookURL = w.URL
	}
	if p := cfg.Notify.PagerDuty; p != nil {
		o.PagerDutyKey, o.PagerDutyURL = p.RoutingKey, p.Endpoint
	}
	n := notify.New(o)
	if n != nil {
		eng.OnEvent(func(ev runbook.Event) {
			if m, ok := notify.FromEvent(ev); ok {
				n.Send(m)
			}
		})
	}
	return n
}
