package runbook

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// writeJournal records events through an engine and returns the file's
// bytes, so tests can damage a real journal.
func writeJournal(t *testing.T, cfg *Config, evs ...Event) []byte {
	t.Helper()
	e, _ := openEngine(t, cfg, New())
	record(t, e, evs...)
	e.Close()
	b, err := os.ReadFile(cfg.Journal)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMissingJournalIsEmpty(t *testing.T) {
	rep, err := ReadJournal(filepath.Join(t.TempDir(), "none.journal"))
	if err != nil || len(rep.Events) != 0 || rep.Torn != "" {
		t.Fatalf("got %+v, %v", rep, err)
	}
}

func TestTornLastLine(t *testing.T) {
	cfg := testConfig(t)
	good := writeJournal(t, cfg, append(discovered, decide("inventory.auth", "acl", "per app"))...)
	// The crash: half of the next event, no newline.
	torn := `{"seq":4,"time":"2025-03-01T09:00:00Z","type":"tick","step":"inven`
	if err := os.WriteFile(cfg.Journal, append(good, torn...), 0o600); err != nil {
		t.Fatal(err)
	}

	rep, err := ReadJournal(cfg.Journal)
	if err != nil {
		t.Fatal(err)
	}
	wantTorn := fmt.Sprintf("journal %s: last line (line 4, %d bytes at offset %d) is torn, probably by a crash mid-write; it was ignored", cfg.Journal, len(torn), len(good))
	if len(rep.Events) != 3 || rep.Torn != wantTorn {
		t.Fatalf("events %d, torn %q\nwant 3, %q", len(rep.Events), rep.Torn, wantTorn)
	}
	ro, notes, err := Load(cfg, New())
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || notes[0] != wantTorn || ro.State().Get("inventory.auth").Choice != "acl" {
		t.Fatalf("load: notes %q, auth %+v", notes, ro.State().Get("inventory.auth"))
	}
	if b, _ := os.ReadFile(cfg.Journal); len(b) != len(good)+len(torn) {
		t.Fatal("a read-only load changed the file")
	}

	// Opening for writing cuts the torn bytes; the next event is a clean line.
	e, notes := openEngine(t, cfg, New())
	if len(notes) != 1 || notes[0] != wantTorn {
		t.Fatalf("open notes %q", notes)
	}
	if b, _ := os.ReadFile(cfg.Journal); string(b) != string(good) {
		t.Fatalf("open left %d bytes, want the %d good ones", len(b), len(good))
	}
	record(t, e, tick("inventory.upgrades", "platform team"))
	e.Close()
	lines := journalLines(t, cfg.Journal)
	if len(lines) != 4 || !strings.HasPrefix(lines[3], `{"seq":4,`) {
		t.Fatalf("journal after the next append:\n%s", strings.Join(lines, "\n"))
	}
	rep, err = ReadJournal(cfg.Journal)
	if err != nil || len(rep.Events) != 4 || rep.Torn != "" {
		t.Fatalf("re-read: %d events, torn %q, %v", len(rep.Events), rep.Torn, err)
	}
}

func TestTornOnlyLine(t *testing.T) {
	cfg := testConfig(t)
	if err := os.WriteFile(cfg.Journal, []byte(`{"seq":1,"ty`), 0o600); err != nil {
		t.Fatal(err)
	}
	e, notes := openEngine(t, cfg, New())
	if len(notes) != 1 || !strings.Contains(notes[0], "last line (line 1, 12 bytes at offset 0) is torn") {
		t.Fatalf("notes %q", notes)
	}
	record(t, e, start("build.reachable"))
	if lines := journalLines(t, cfg.Journal); len(lines) != 1 || !strings.HasPrefix(lines[0], `{"seq":1,"time"`) {
		t.Fatalf("journal: %q", lines)
	}
}

func TestDamagedLineIsAnError(t *testing.T) {
	cases := []struct {
		name   string
		damage func(lines []string) []string
		want   string // after "journal PATH: "
	}{
		{"garbage in the middle", func(l []string) []string { l[1] = "garbage"; return l },
			"line 2 is not a valid event (invalid character 'g' looking for beginning of value); the file was damaged or edited by hand"},
		{"half an event in the middle", func(l []string) []string { l[1] = l[1][:20]; return l },
			"line 2 is not a valid event (unexpected end of JSON input); the file was damaged or edited by hand"},
		{"blank line in the middle", func(l []string) []string { return append(l[:1], append([]string{""}, l[1:]...)...) },
			"line 2 is not a valid event (unexpected end of JSON input); the file was damaged or edited by hand"},
		// With its newline on disk, a bad last line was not cut short by a
		// crash: it was written that way.
		{"complete but bad last line", func(l []string) []string { l[2] = `{"seq":3,`; return l },
			"line 3 is not a valid event (unexpected end of JSON input); the file was damaged or edited by hand"},
		{"an event the state machine refuses", func(l []string) []string { return l[1:] },
			"event 2 (line 1) does not replay: inventory.discover is pending, not running: it cannot succeed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(t)
			writeJournal(t, cfg, append(discovered, decide("inventory.auth", "acl", "per app"))...)
			lines := c.damage(journalLines(t, cfg.Journal))
			if err := os.WriteFile(cfg.Journal, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			want := "journal " + cfg.Journal + ": " + c.want
			if _, _, err := Load(cfg, New()); err == nil || err.Error() != want {
				t.Fatalf("load: %v\nwant  %s", err, want)
			}
			if _, _, err := Open(cfg, New(), op); err == nil || err.Error() != want {
				t.Fatalf("open: %v\nwant  %s", err, want)
			}
			// A failed open gives the lock back.
			l, err := AcquireLock(cfg.Journal, op)
			if err != nil {
				t.Fatal(err)
			}
			l.Release()
		})
	}
}

// A write cut short (here by the file size limit) must not leave half a
// line that a later append would glue onto.
func TestFailedAppendLeavesNoHalfLine(t *testing.T) {
	cfg := testConfig(t)
	good := writeJournal(t, cfg, discovered...)
	e, _ := openEngine(t, cfg, New())

	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = uint64(len(good) + 40)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Skipf("cannot limit the file size: %v", err)
	}
	_, err := e.Record(decide("inventory.auth", "acl", strings.Repeat("a long reason ", 10)))
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil || !strings.Contains(err.Error(), "appending failed, nothing was recorded") {
		t.Fatalf("got %v", err)
	}
	if e.State().Get("inventory.auth").Status != Pending {
		t.Fatal("a failed append changed the state")
	}
	if b, _ := os.ReadFile(cfg.Journal); string(b) != string(good) {
		t.Fatalf("the file holds %d bytes after a failed append, want the %d it had", len(b), len(good))
	}
	record(t, e, decide("inventory.auth", "acl", "per app"))
	e.Close()
	rep, err := ReadJournal(cfg.Journal)
	if err != nil || len(rep.Events) != 3 || rep.Torn != "" || rep.Events[2].Seq != 3 {
		t.Fatalf("after recovery: %+v, %v", rep, err)
	}
}
