// Package notify announces the runbook's events to a chat webhook
// (Slack-compatible) and to PagerDuty as change events. Sending never
// blocks the caller: messages go to a bounded queue that one goroutine
// drains, and those that pile up while it waits are merged into one post.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Message is one thing to announce.
type Message struct {
	Time    time.Time
	Text    string            // one line, as the chat shows it
	Details map[string]string // PagerDuty's custom_details
}

// Options configure a Notifier; an empty URL or key turns that target off.
type Options struct {
	WebhookURL   string
	PagerDutyKey string
	PagerDutyURL string
	Source       string // PagerDuty's payload.source: where the change happens
	Log          func(string)

	Queue   int           // messages held before the oldest is dropped; default 256
	Retries int           // after the first attempt, for 429 and 5xx; default 4
	Timeout time.Duration // per HTTP request; default 10s
	// Sleep waits between attempts; tests replace it to see the waits.
	Sleep func(context.Context, time.Duration) error
}

// maxLines caps a merged chat message; the rest are counted.
const maxLines = 40

// Notifier owns the queue and its sender goroutine.
type Notifier struct {
	o      Options
	client *http.Client
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	queue   []Message
	dropped int
	closed  bool
	wake    chan struct{}
	done    chan struct{}
}

// New starts a Notifier. It returns nil when nothing is configured; a nil
// Notifier's methods do nothing.
func New(o Options) *Notifier {
	if o.WebhookURL == "" && o.PagerDutyKey == "" {
		return nil
	}
	if o.Queue <= 0 {
		o.Queue = 256
	}
	if o.Retries <= 0 {
		o.Retries = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Log == nil {
		o.Log = func(string) {}
	}
	n := &Notifier{o: o, client: &http.Client{Timeout: o.Timeout},
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	go n.loop()
	return n
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Send queues m. When the queue is full the oldest message is dropped and
// counted: the latest state matters more during a change.
func (n *Notifier) Send(m Message) {
	if n == nil {
		return
	}
	if m.Time.IsZero() {
		m.Time = time.Now()
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	if len(n.queue) >= n.o.Queue {
		n.queue = n.queue[1:]
		n.dropped++
	}
	n.queue = append(n.queue, m)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default: // the sender is already due to look
	}
}

// Abort announces that the change is being abandoned.
func (n *Notifier) Abort(reason string) {
	n.Send(Message{Text: "ABORTED: " + reason, Details: map[string]string{"event": "abort", "reason": reason}})
}

// Dropped is how many messages were lost to a full queue.
func (n *Notifier) Dropped() int {
	if n == nil {
		return 0
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dropped
}

// Close sends what is queued, waiting at most timeout; then it gives up on
// the rest (logging how many) and stops the sender.
func (n *Notifier) Close(timeout time.Duration) {
	if n == nil {
		return
	}
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
	select {
	case <-n.done:
	case <-time.After(timeout):
		n.cancel()
		<-n.done
	}
	n.cancel()
	n.mu.Lock()
	left := len(n.queue)
	n.mu.Unlock()
	if left > 0 {
		n.o.Log(fmt.Sprintf("notify: %d messages not sent: gave up after %s at exit", left, timeout))
	}
}

func (n *Notifier) loop() {
	defer close(n.done)
	for {
		n.mu.Lock()
		batch, dropped, closed := n.queue, n.dropped, n.closed
		n.queue, n.dropped = nil, 0
		n.mu.Unlock()
		if len(batch) > 0 && n.ctx.Err() == nil {
			n.deliver(batch, dropped)
			continue
		}
		if closed || n.ctx.Err() != nil {
			n.mu.Lock()
			n.queue = append(batch, n.queue...) // counted as unsent by Close
			n.mu.Unlock()
			return
		}
		<-n.wake
	}
}

// deliver posts one merged message to each target.
func (n *Notifier) deliver(batch []Message, dropped int) {
	lines := make([]string, 0, len(batch))
	for _, m := range batch {
		lines = append(lines, m.Text)
	}
	if len(lines) > maxLines {
		dropped += len(lines) - maxLines
		lines = lines[len(lines)-maxLines:]
	}
	if dropped > 0 {
		lines = append(lines, fmt.Sprintf("(%d earlier messages dropped)", dropped))
	}
	text := strings.Join(lines, "\n")
	if n.o.WebhookURL != "" {
		n.post("webhook", n.o.WebhookURL, map[string]any{"text": text})
	}
	if n.o.PagerDutyKey != "" {
		n.post("pagerduty", n.o.PagerDutyURL, n.changeEvent(batch, text))
	}
}

// changeEvent is a PagerDuty Events API v2 change event: one per batch,
// its summary the latest line, the details those of a lone message.
func (n *Notifier) changeEvent(batch []Message, text string) map[string]any {
	last := batch[len(batch)-1]
	details := map[string]string{}
	if len(batch) == 1 {
		for k, v := range last.Details {
			details[k] = v
		}
	} else {
		details["events"] = text
	}
	summary := last.Text
	if len(batch) > 1 {
		summary = fmt.Sprintf("%s (and %d more)", summary, len(batch)-1)
	}
	if len(summary) > 1024 { // the API's limit
		summary = summary[:1021] + "..."
	}
	return map[string]any{
		"routing_key": n.o.PagerDutyKey,
		"payload": map[string]any{
			"summary":        summary,
			"timestamp":      last.Time.UTC().Format(time.RFC3339),
			"source":         n.o.Source,
			"custom_details": details,
		},
		"links": []any{},
	}
}

// post sends body, retrying 429 (after Retry-After) and 5xx and network
// errors (with a doubling backoff). Logs name the host only: the URL of a
// webhook is its credential.
func (n *Notifier) post(target, rawURL string, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		n.o.Log(fmt.Sprintf("notify: %s: %v", target, err))
		return
	}
	host := "?"
	if u, err := url.Parse(rawURL); err == nil {
		host = u.Host
	}
	backoff := time.Second
	for attempt := 0; ; attempt++ {
		wait, retry, err := n.attempt(rawURL, b)
		if err == nil {
			return
		}
		if !retry || attempt == n.o.Retries {
			n.o.Log(fmt.Sprintf("notify: %s %s: %v; not sent", target, host, err))
			return
		}
		if wait < 0 {
			wait, backoff = backoff, min(2*backoff, 30*time.Second)
		}
		n.o.Log(fmt.Sprintf("notify: %s %s: %v; retrying in %s", target, host, err, wait))
		if n.o.Sleep(n.ctx, wait) != nil {
			n.o.Log(fmt.Sprintf("notify: %s %s: not sent: cutover is exiting", target, host))
			return
		}
	}
}

// attempt makes one request. On a failure worth retrying it says how long
// to wait: Retry-After, or -1 for the backoff.
func (n *Notifier) attempt(rawURL string, body []byte) (wait time.Duration, retry bool, err error) {
	req, err := http.NewRequestWithContext(n.ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return 0, false, errors.New("bad URL")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the url.Error would quote the whole URL
		}
		return -1, true, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode < 300:
		return 0, false, nil
	case resp.StatusCode == http.StatusTooManyRequests:
		wait = -1
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			wait = min(time.Duration(s)*time.Second, time.Minute)
		}
		return wait, true, errors.New(resp.Status)
	case resp.StatusCode >= 500:
		return -1, true, errors.New(resp.Status)
	}
	return 0, false, errors.New(resp.Status)
}
