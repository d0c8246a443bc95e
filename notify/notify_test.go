package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a real HTTP server that keeps every request; reply decides
// each answer (the n-th request, from 0).
type recorder struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []request
	reply func(n int, w http.ResponseWriter)
}

type request struct {
	path, contentType string
	body              map[string]any
}

func newRecorder(t *testing.T, reply func(n int, w http.ResponseWriter)) *recorder {
	r := &recorder{reply: reply}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("request body is not JSON: %q", b)
		}
		r.mu.Lock()
		n := len(r.reqs)
		r.reqs = append(r.reqs, request{req.URL.Path, req.Header.Get("Content-Type"), body})
		r.mu.Unlock()
		if r.reply != nil {
			r.reply(n, w)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

// logs collects log lines from the sender goroutine.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) log(s string) { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }
func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func TestPayloads(t *testing.T) {
	srv := newRecorder(t, nil)
	at := time.Date(2026, 12, 6, 4, 30, 0, 0, time.FixedZone("CET", 3600))
	n := New(Options{WebhookURL: srv.URL + "/hook", PagerDutyKey: "rk-123", PagerDutyURL: srv.URL + "/v2/change/enqueue", Source: "ops-host"})
	n.Send(Message{Time: at, Text: "verify.failover done: kill drill", Details: map[string]string{"step": "verify.failover", "outage_ms": "2100"}})
	n.Close(5 * time.Second)

	got := srv.requests()
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2: %+v", len(got), got)
	}
	want := []request{
		{"/hook", "application/json", map[string]any{"text": "verify.failover done: kill drill"}},
		{"/v2/change/enqueue", "application/json", map[string]any{
			"routing_key": "rk-123",
			"payload": map[string]any{
				"summary":        "verify.failover done: kill drill",
				"timestamp":      "2026-12-06T03:30:00Z",
				"source":         "ops-host",
				"custom_details": map[string]any{"step": "verify.failover", "outage_ms": "2100"},
			},
			"links": []any{},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("requests\n%+v\nwant\n%+v", got, want)
	}
}

func TestRetries(t *testing.T) {
	status := func(codes ...int) func(int, http.ResponseWriter) {
		return func(n int, w http.ResponseWriter) {
			if n < len(codes) {
				if codes[n] == http.StatusTooManyRequests {
					w.Header().Set("Retry-After", "1")
				}
				w.WriteHeader(codes[n])
			}
		}
	}
	cases := []struct {
		name     string
		reply    func(int, http.ResponseWriter)
		requests int
		sleeps   []time.Duration
		log      string
	}{
		{"429 waits Retry-After", status(429), 2, []time.Duration{time.Second}, "429 Too Many Requests; retrying in 1s"},
		{"5xx backs off, doubling", status(503, 500), 3, []time.Duration{time.Second, 2 * time.Second}, "500 Internal Server Error; retrying in 2s"},
		{"5xx gives up after the retries", status(502, 502, 502, 502), 3, []time.Duration{time.Second, 2 * time.Second}, "502 Bad Gateway; not sent"},
		{"4xx is not retried", status(404), 1, nil, "404 Not Found; not sent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newRecorder(t, c.reply)
			var mu sync.Mutex
			var slept []time.Duration
			var l logs
			n := New(Options{WebhookURL: srv.URL, Retries: 2, Log: l.log, Sleep: func(_ context.Context, d time.Duration) error {
				mu.Lock()
				slept = append(slept, d)
				mu.Unlock()
				return nil
			}})
			n.Send(Message{Text: "x"})
			n.Close(5 * time.Second)
			if got := len(srv.requests()); got != c.requests {
				t.Errorf("%d requests, want %d", got, c.requests)
			}
			if !reflect.DeepEqual(slept, c.sleeps) {
				t.Errorf("slept %v, want %v", slept, c.sleeps)
			}
			if !strings.Contains(l.String(), c.log) {
				t.Errorf("log %q does not say %q", l.String(), c.log)
			}
		})
	}
}

func TestCoalescing(t *testing.T) {
	first, release := make(chan struct{}), make(chan struct{})
	srv := newRecorder(t, func(n int, w http.ResponseWriter) {
		if n == 0 {
			close(first)
			<-release
		}
	})
	n := New(Options{WebhookURL: srv.URL})
	n.Send(Message{Text: "one"})
	<-first // the first post is in flight
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		n.Send(Message{Text: s})
	}
	close(release)
	n.Close(5 * time.Second)
	got := srv.requests()
	if len(got) != 2 || got[0].body["text"] != "one" || got[1].body["text"] != "a\nb\nc\nd\ne" {
		t.Fatalf("requests %+v, want one then the five merged", got)
	}
}

func TestMergedMessageIsCapped(t *testing.T) {
	first, release := make(chan struct{}), make(chan struct{})
	srv := newRecorder(t, func(n int, w http.ResponseWriter) {
		if n == 0 {
			close(first)
			<-release
		}
	})
	n := New(Options{WebhookURL: srv.URL, PagerDutyKey: "k", PagerDutyURL: srv.URL + "/pd"})
	n.Send(Message{Text: "first"})
	<-first
	for i := range maxLines + 10 {
		n.Send(Message{Text: strings.Repeat("x", i)})
	}
	close(release)
	n.Close(5 * time.Second)
	got := srv.requests()
	if len(got) != 4 {
		t.Fatalf("%d requests, want 4", len(got))
	}
	lines := strings.Split(got[2].body["text"].(string), "\n")
	if len(lines) != maxLines+1 || lines[0] != strings.Repeat("x", 10) || lines[maxLines] != "(10 earlier messages dropped)" {
		t.Fatalf("merged text has %d lines, first %q, last %q", len(lines), lines[0], lines[len(lines)-1])
	}
	pd := got[3].body["payload"].(map[string]any)
	if want := strings.Repeat("x", maxLines+9) + " (and 49 more)"; pd["summary"] != want {
		t.Fatalf("pagerduty summary %q, want %q", pd["summary"], want)
	}
}

// With the server gone and the sender stuck in a backoff, Send still
// returns at once, dropping the oldest; Close gives up after its timeout;
// the logs name the host and never the URL's secret path or the key.
func TestServerDownNeverBlocks(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	hookURL := down.URL + "/services/T0/B0/s3cretPath"
	host := strings.TrimPrefix(down.URL, "http://")
	down.Close()

	backingOff := make(chan struct{}, 1)
	var l logs
	n := New(Options{WebhookURL: hookURL, PagerDutyKey: "r0utingKEY", PagerDutyURL: hookURL, Queue: 10, Log: l.log,
		Sleep: func(ctx context.Context, d time.Duration) error {
			select {
			case backingOff <- struct{}{}:
			default:
			}
			<-ctx.Done() // a backoff longer than the test
			return ctx.Err()
		}})
	n.Send(Message{Text: "first"})
	<-backingOff
	for range 20 {
		n.Send(Message{Text: "more"})
	}
	if got := n.Dropped(); got != 10 {
		t.Errorf("dropped %d, want 10 (20 sent into a queue of 10)", got)
	}
	n.Close(100 * time.Millisecond)
	out := l.String()
	for _, want := range []string{"notify: webhook " + host + ": ", "connection refused; retrying in 1s", "10 messages not sent"} {
		if !strings.Contains(out, want) {
			t.Errorf("log does not say %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"s3cretPath", "r0utingKEY"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds the secret %q:\n%s", secret, out)
		}
	}
}

func TestNilNotifierDoesNothing(t *testing.T) {
	n := New(Options{})
	if n != nil {
		t.Fatal("a Notifier with no target")
	}
	n.Send(Message{Text: "x"})
	n.Abort("y")
	n.Close(time.Second)
}

func TestAbort(t *testing.T) {
	srv := newRecorder(t, nil)
	n := New(Options{WebhookURL: srv.URL + "/hook", PagerDutyKey: "k", PagerDutyURL: srv.URL + "/pd"})
	n.Abort("error rate above 2% for 5m")
	n.Close(5 * time.Second)
	got := srv.requests()
	if len(got) != 2 || got[0].body["text"] != "ABORTED: error rate above 2% for 5m" {
		t.Fatalf("requests %+v", got)
	}
	details := got[1].body["payload"].(map[string]any)["custom_details"]
	if want := map[string]any{"event": "abort", "reason": "error rate above 2% for 5m"}; !reflect.DeepEqual(details, want) {
		t.Fatalf("custom_details %v, want %v", details, want)
	}
}
