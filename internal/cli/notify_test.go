package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// A run sends its events to the webhook and PagerDuty (a real local
// server), and neither secret reaches the output, the journal or the log.
func TestRunNotifies(t *testing.T) {
	var mu sync.Mutex
	var posts []map[string]any
	paths := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		json.Unmarshal(b, &body)
		mu.Lock()
		posts = append(posts, body)
		paths[r.URL.Path]++
		mu.Unlock()
	}))
	defer srv.Close()
	const hookPath, key = "/services/T1/B1/hookSecret9", "pdRoutingSecret42"
	e := newCLIEnv(t)
	t.Setenv("CHAT_HOOK", srv.URL+hookPath)
	if err := os.WriteFile(filepath.Join(e.dir, "pd.key"), []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(e.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("notify:\n  webhook:\n    url_env: CHAT_HOOK\n  pagerduty:\n    routing_key_file: pd.key\n    endpoint: " + srv.URL + "/pd\n")
	f.Close()

	e.expect(0, "chose rdb", "run", "migrate.strategy", "--choice", "rdb", "--reason", "small cache")
	e.expect(1, "build.reachable", "run", "build.reachable", "--timeout", "10s")

	mu.Lock()
	defer mu.Unlock()
	var texts []string
	for _, p := range posts {
		if s, ok := p["text"].(string); ok {
			texts = append(texts, s)
		}
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"cutover: migrate.strategy: alice chose rdb: small cache", "cutover: build.reachable started by alice", "cutover: build.reachable failed: "} {
		if !strings.Contains(all, want) {
			t.Errorf("the webhook was not told %q; it got:\n%s", want, all)
		}
	}
	if paths[hookPath] == 0 || paths["/pd"] != paths[hookPath] {
		t.Errorf("posts by path %v: want as many change events as chat messages", paths)
	}
	for _, p := range posts {
		if p["routing_key"] != nil && p["routing_key"] != key {
			t.Errorf("change event with routing key %v", p["routing_key"])
		}
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "cutover.log"))
	journal, _ := os.ReadFile(e.journal)
	for _, s := range append(e.outputs, string(log), string(journal)) {
		if strings.Contains(s, "hookSecret9") || strings.Contains(s, key) {
			t.Errorf("a notification secret was printed, logged or journaled:\n%s", s)
		}
	}
}
