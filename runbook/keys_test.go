package runbook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeysConfig(t *testing.T) {
	every := "keys:\n"
	for _, a := range KeyActions {
		every += "  " + a.Name + ": [" + strings.Join(quoted(a.Keys), ", ") + "]\n"
	}
	cases := []struct {
		name string
		keys string            // appended to minimal, from line 9
		want string            // the error, FILE for the path; "" when it loads
		got  map[string]string // action -> its keys joined by space, when it loads
	}{
		{name: "no keys section", got: map[string]string{"skip": "s", "rerun": "r", "quit": "q ctrl+c"}},
		{name: "every default written out", keys: every, got: map[string]string{"up": "up k", "help": "?"}},
		{name: "rebound", keys: "keys: {skip: [S], rerun: [R]}\n", got: map[string]string{"skip": "S", "rerun": "R", "verify": "v"}},
		{name: "a default freed and taken", keys: "keys:\n  skip: [x]\n  rerun: [s]\n", got: map[string]string{"skip": "x", "rerun": "s"}},
		{name: "several keys", keys: "keys:\n  quit: [Q, ctrl+q]\n", got: map[string]string{"quit": "Q ctrl+q"}},
		{name: "unknown action", keys: "keys:\n  skipp: [S]\n",
			want: `FILE:10: keys.skipp: "skipp" is not an action of the console; use one of ` + strings.Join(keyActionNames(), ", ")},
		{name: "bound twice in the section", keys: "keys:\n  skip: [x]\n  rerun: [x]\n",
			want: `FILE:11: keys.rerun[0]: "x" is bound twice: it is already the key of skip`},
		{name: "bound twice with a default", keys: "keys:\n  skip: [r]\n",
			want: `FILE:10: keys.skip[0]: "r" is bound twice: it is already the key of rerun (its default; rebind rerun too to free it)`},
		{name: "twice in one list", keys: "keys:\n  skip: [S, S]\n",
			want: `FILE:10: keys.skip[1]: "S" is bound twice: it is already the key of skip`},
		{name: "empty list", keys: "keys:\n  skip: []\n", want: "FILE:10: keys.skip: is empty; list at least one key, like [s]"},
		{name: "blank key", keys: "keys:\n  skip: [\"\"]\n",
			want: `FILE:10: keys.skip[0]: "" is not a key; write it as the console names it, like S, ctrl+s, f5, pgdown or space`},
		{name: "a key with a space", keys: "keys:\n  skip: [\"ctrl s\"]\n",
			want: `FILE:10: keys.skip[0]: "ctrl s" is not a key; write it as the console names it, like S, ctrl+s, f5, pgdown or space`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cutover.yaml")
			if err := os.WriteFile(path, []byte(minimal+c.keys), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(path, env(map[string]string{"SRC_PW": "s", "DST_PW": "d"}))
			if c.want != "" {
				if want := strings.ReplaceAll(c.want, "FILE", path); err == nil || err.Error() != want {
					t.Fatalf("got  %v\nwant %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			keys := cfg.ActionKeys()
			if len(keys) != len(KeyActions) {
				t.Fatalf("%d actions have keys, want %d", len(keys), len(KeyActions))
			}
			for name, want := range c.got {
				if got := strings.Join(keys[name], " "); got != want {
					t.Errorf("%s: keys %q, want %q", name, got, want)
				}
			}
		})
	}
}

func quoted(ks []string) []string {
	var out []string
	for _, k := range ks {
		out = append(out, `"`+k+`"`)
	}
	return out
}
