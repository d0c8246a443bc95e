package runbook

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const (
	awsKeyID     = "AKIAIOSFODNN7EXAMPLE"
	awsSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func TestScrub(t *testing.T) {
	r := NewRedactor("hunter2-long", "hunter2", "", `q"uo\te<&>`)
	cases := []struct{ in, want string }{
		{"AUTH hunter2 failed", "AUTH [redacted] failed"},
		{"the longer one: hunter2-long", "the longer one: [redacted]"},
		{`typed q"uo\te<&> by mistake`, "typed [redacted] by mistake"},
		{`as JSON: "q\"uo\\te\u003c\u0026\u003e"`, `as JSON: "[redacted]"`},
		{`as JSON without HTML escaping: "q\"uo\\te<&>"`, `as JSON without HTML escaping: "[redacted]"`},
		{"dial redis://app:s3cr3t@10.0.0.5:6379", "dial redis://app:[redacted]@10.0.0.5:6379"},
		{"dial rediss://:s3cr3t@cache:6380 failed", "dial rediss://:[redacted]@cache:6380 failed"},
		{"GET HTTPS://user:pw@s3.local/bucket", "GET HTTPS://user:[redacted]@s3.local/bucket"},
		{"no credentials: redis://10.0.0.5:6379 by ops@example.com", "no credentials: redis://10.0.0.5:6379 by ops@example.com"},
		{"key " + awsKeyID + " denied", "key [redacted] denied"},
		{"aws_secret_access_key=" + awsSecretKey, "aws_secret_access_key=[redacted]"},
		{`AWS_SESSION_TOKEN: "` + awsSecretKey + `"`, `AWS_SESSION_TOKEN: "[redacted]"`},
		{`{"note":"aws_secret_access_key = \"` + awsSecretKey + `\""}`, `{"note":"aws_secret_access_key = \"[redacted]\""}`},
		{"nothing secret here", "nothing secret here"},
	}
	for _, c := range cases {
		if got := r.Scrub(c.in); got != c.want {
			t.Errorf("Scrub(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	var none *Redactor
	if got := none.Scrub("redis://a:b@h:1 " + awsKeyID); got != "redis://a:[redacted]@h:1 [redacted]" {
		t.Errorf("a nil redactor still scrubs credential patterns, got %q", got)
	}
}

// strings collects every string in a decoded JSON value, keys included.
func jsonStrings(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, x)
	case []any:
		for _, e := range x {
			jsonStrings(e, out)
		}
	case map[string]any:
		for k, e := range x {
			*out = append(*out, k)
			jsonStrings(e, out)
		}
	}
}

func TestSecretsNeverReachTheJournal(t *testing.T) {
	cfg := testConfig(t)
	// all is every secret the redactor knows or recognises, in free text;
	// url-pass is caught only where it sits in a URL.
	all := strings.Join([]string{cfg.Source.Secret.Value, cfg.Target.Secret.Value, cfg.Target.Sentinel.Secret.Value,
		"AWS_ACCESS_KEY_ID=" + awsKeyID, "aws_secret_access_key=" + awsSecretKey}, " ")
	secrets := []string{cfg.Source.Secret.Value, cfg.Target.Secret.Value, cfg.Target.Sentinel.Secret.Value, "url-pass", awsKeyID, awsSecretKey}
	rb := New()
	leaky := &fakeExec{res: Result{OK: true, Summary: "PONG with " + cfg.Source.Secret.Value,
		Evidence: []Evidence{
			{Name: "target", Value: "redis://10.0.0.5:6379", OK: true},
			{Name: "user", Value: "app@prod", OK: true},
			{Name: "auth", Value: cfg.Target.Secret.Value, Want: cfg.Target.Sentinel.Secret.Value, OK: true},
		},
		Outputs:  map[string]string{"password": cfg.Target.Secret.Value, "aws_secret_access_key": awsSecretKey},
		Warnings: []string{"env: AWS_ACCESS_KEY_ID=" + awsKeyID},
	}}
	if err := rb.Attach(map[StepID]Executor{"inventory.discover": leaky}); err != nil {
		t.Fatal(err)
	}
	e, _ := openEngine(t, cfg, rb)
	if _, err := e.Run(context.Background(), "inventory.discover", Request{Operator: op, Options: map[string]string{"auth": cfg.Source.Secret.Value}}, nil, nil); err != nil {
		t.Fatal(err)
	}
	record(t, e,
		decide("inventory.auth", "acl", "old token was "+all),
		tick("inventory.upgrades", "rotated "+all),
		skip("build.dns", "creds redis://admin:url-pass@10.0.0.9:6379 "+all),
		start("build.reachable"),
		fail("build.reachable", "NOAUTH for rediss://default:url-pass@cache:6380 "+all),
	)
	state := e.State()
	e.Close()

	raw, err := os.ReadFile(cfg.Journal)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		for _, form := range []string{s, jsonEscaped(s, true), jsonEscaped(s, false)} {
			if strings.Contains(string(raw), form) {
				t.Fatalf("the journal holds the secret %q as %q", s, form)
			}
		}
	}
	lines := journalLines(t, cfg.Journal)
	for i, line := range lines {
		var v any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("line %d is not JSON after redaction: %v", i+1, err)
		}
		var strs []string
		jsonStrings(v, &strs)
		for _, str := range strs {
			for _, s := range secrets {
				if strings.Contains(str, s) {
					t.Fatalf("line %d decodes to a string holding %q: %q", i+1, s, str)
				}
			}
		}
	}
	if !strings.Contains(string(raw), "redis://admin:[redacted]@10.0.0.9:6379") {
		t.Fatal("URL credentials were not replaced in place")
	}
	// Redaction did not eat the fields around a URL with no credentials.
	res := state.Get("inventory.discover").Result
	if res == nil || len(res.Evidence) != 3 || res.Evidence[0].Value != "redis://10.0.0.5:6379" || res.Evidence[1].Value != "app@prod" {
		t.Fatalf("evidence mangled by redaction: %+v", res)
	}
	// The live state is what is on disk, so it holds no secret either.
	b, _ := json.Marshal(state.Steps)
	var v any
	json.Unmarshal(b, &v)
	var strs []string
	jsonStrings(v, &strs)
	for _, str := range strs {
		for _, s := range secrets {
			if strings.Contains(str, s) {
				t.Fatalf("the in-memory state holds %q", s)
			}
		}
	}
	if _, _, err := Load(cfg, New()); err != nil {
		t.Fatalf("the redacted journal does not replay: %v", err)
	}
}

// planLeak is an executor whose plan quotes a secret.
type planLeak struct {
	fakeExec
	secret string
}

func (p *planLeak) Plan(context.Context, *Env) (Plan, error) {
	return Plan{Summary: "AUTH " + p.secret, Resource: "r-" + p.secret, Calls: []string{"AUTH " + p.secret}, Warnings: []string{p.secret}}, nil
}

func TestPlanIsScrubbedBeforeItIsShown(t *testing.T) {
	cfg := testConfig(t)
	rb := New()
	leak := &planLeak{secret: cfg.Target.Secret.Value}
	if err := rb.Attach(map[StepID]Executor{"inventory.discover": leak}); err != nil {
		t.Fatal(err)
	}
	e, _ := openEngine(t, cfg, rb)
	p, err := e.Plan(context.Background(), "inventory.discover", e.Env(op, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(p)
	if strings.Contains(string(b), leak.secret) || !strings.Contains(p.Calls[0], Redacted) {
		t.Errorf("plan not scrubbed: %s", b)
	}
}
