package runbook

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
)

// Redacted replaces a secret wherever text leaves the process.
const Redacted = "[redacted]"

// Redactor knows the secrets of the loaded config and scrubs them from
// everything written: journal, logs, reports, screen text.
type Redactor struct {
	secrets []string
	repl    *strings.Replacer
}

// userinfo catches credentials in URLs that did not come from the config
// (an error message quoting a URL, say). It stops at a quote so that, run
// over a JSON line, it never swallows the end of one string and the start
// of another.
var userinfo = regexp.MustCompile(`(?i)\b(rediss?|https?)://([^:/@\s"]*):[^@\s"]+@`)

// awsKey catches AWS access key IDs and secret-looking assignments; the
// separator admits a backslash for quotes escaped inside a JSON string.
var awsKey = regexp.MustCompile(`\b(AKIA|ASIA)[A-Z0-9]{16}\b|(?i)(aws_secret_access_key|aws_session_token|x-amz-security-token)(["'=:\s\\]+)[A-Za-z0-9/+=]{16,}`)

// NewRedactor builds a redactor for these secret values (empty ones are
// ignored). Longer secrets are replaced first so a secret that contains
// another is removed whole. Each secret is also known in its JSON-escaped
// forms: the journal is scrubbed after encoding, where a password holding
// " \ < > or & no longer appears as typed.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	seen := map[string]bool{}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, form := range []string{s, jsonEscaped(s, true), jsonEscaped(s, false)} {
			if !seen[form] {
				seen[form] = true
				r.secrets = append(r.secrets, form)
			}
		}
	}
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	var pairs []string
	for _, s := range r.secrets {
		pairs = append(pairs, s, Redacted)
	}
	r.repl = strings.NewReplacer(pairs...)
	return r
}

// jsonEscaped is s as it appears inside a JSON string, with or without
// HTML escaping (encoding/json escapes < > & by default).
func jsonEscaped(s string, html bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// Redactor returns the redactor for the config's secrets.
func (c *Config) Redactor() *Redactor {
	secrets := []string{c.Source.Secret.Value, c.Target.Secret.Value, c.Target.Sentinel.Secret.Value}
	for _, u := range c.Target.Users {
		secrets = append(secrets, u.Secret.Value)
	}
	if w := c.Notify.Webhook; w != nil {
		secrets = append(secrets, w.URL)
	}
	if p := c.Notify.PagerDuty; p != nil {
		secrets = append(secrets, p.RoutingKey)
	}
	return NewRedactor(secrets...)
}

// Scrub returns s with every known secret, URL credential and AWS key
// replaced.
func (r *Redactor) Scrub(s string) string {
	if r != nil && len(r.secrets) > 0 {
		s = r.repl.Replace(s)
	}
	s = userinfo.ReplaceAllString(s, "$1://$2:"+Redacted+"@")
	return awsKey.ReplaceAllStringFunc(s, func(m string) string {
		if sub := awsKey.FindStringSubmatch(m); sub[2] != "" {
			return sub[2] + sub[3] + Redacted
		}
		return Redacted
	})
}

// ScrubBytes is Scrub for a byte slice (a journal line, a log record).
func (r *Redactor) ScrubBytes(b []byte) []byte { return []byte(r.Scrub(string(b))) }

// ScrubPlan is Scrub for every text of a plan, which is shown before it is
// journaled.
func (r *Redactor) ScrubPlan(p Plan) Plan {
	p.Summary = r.Scrub(p.Summary)
	p.Resource = r.Scrub(p.Resource)
	scrubAll := func(xs []string) []string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = r.Scrub(x)
		}
		return out
	}
	if p.Calls != nil {
		p.Calls = scrubAll(p.Calls)
	}
	if p.Warnings != nil {
		p.Warnings = scrubAll(p.Warnings)
	}
	return p
}
