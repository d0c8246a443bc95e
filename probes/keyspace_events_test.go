package probes

import "testing"

func TestMissingKeyspaceClasses(t *testing.T) {
	for setting, want := range map[string]string{
		"KEA":        "",
		"AK":         "",
		"Kg$lshzxet": "",
		"":           "Kg$lshzxet",
		"Ex":         "Kg$lshzet",
		"Kgx$":       "lshzet",
		"EA":         "K",
	} {
		if got := MissingKeyspaceClasses(setting); got != want {
			t.Errorf("MissingKeyspaceClasses(%q) = %q, want %q", setting, got, want)
		}
	}
}

func TestKeyspaceEventsFact(t *testing.T) {
	for _, c := range []struct {
		value, state, want string
	}{
		{"KEA", "settable", "on"},
		{"AKE", "default-group", "on"},
		{"Ex", "settable", "settable"},
		{"", "default-group", "default-group"},
	} {
		var p proof
		p.keyspaceEvents(c.value, c.state, "how")
		if got := p.res.Outputs["keyspace_events"]; got != c.want {
			t.Errorf("keyspaceEvents(%q, %q) = %q, want %q", c.value, c.state, got, c.want)
		}
	}
}
