package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/cutover/cutover/lab/labtest"
)

// rdbCLI parses and runs `rdb ...` as main would, returning the exit code.
func rdbCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var c struct {
		Rdb rdbCmd `cmd:""`
	}
	var out, errb bytes.Buffer
	p, err := kong.New(&c, kong.Name("cutover"), kong.Writers(&out, &errb), kong.Exit(func(int) { t.Fatal("kong exited") }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := p.Parse(append([]string{"rdb"}, args...))
	if err != nil {
		return 2, "", err.Error()
	}
	if err := ctx.Run(stdio{&out, &errb, strings.NewReader("")}); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code, out.String(), errb.String() + err.Error()
		}
		return 2, out.String(), errb.String() + err.Error()
	}
	return 0, out.String(), errb.String()
}

func TestRdbInspect(t *testing.T) {
	file := filepath.Join(labtest.RDBTestdata(t), "redis-7.4.1.rdb")
	code, out, _ := rdbCLI(t, "inspect", file)
	if code != 0 || !strings.Contains(out, "redis 7.4.1") || !strings.Contains(out, "verified") || !strings.Contains(out, "db9") {
		t.Fatalf("inspect: code %d\n%s", code, out)
	}
	code, out, _ = rdbCLI(t, "inspect", "--json", file)
	if code != 0 || !strings.Contains(out, `"rdb_version": 12`) || !strings.Contains(out, `"keys": 71`) {
		t.Fatalf("inspect --json: code %d\n%s", code, out)
	}
	data, _ := os.ReadFile(file)
	bad := filepath.Join(t.TempDir(), "cut.rdb")
	os.WriteFile(bad, data[:len(data)/2], 0o600)
	code, _, errs := rdbCLI(t, "inspect", bad)
	if code != 1 || !strings.Contains(errs, "damaged") || !strings.Contains(errs, "offset") {
		t.Fatalf("inspect of a truncated file: code %d, %s", code, errs)
	}
}

func TestRdbLoad(t *testing.T) {
	const pw = "rdb-load-Secret-91c"
	r := labtest.Redis(t, labtest.WithPassword(pw))
	t.Setenv("REDISCLI_AUTH", pw)
	file := filepath.Join(labtest.RDBTestdata(t), "redis-7.2.6.rdb")
	target := "redis://" + r.Addr()

	code, out, errs := rdbCLI(t, "load", file, "--target", target)
	if code != 0 || !strings.Contains(out, "65 keys loaded") {
		t.Fatalf("load: code %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = rdbCLI(t, "load", file, "--target", target)
	if code != 1 || !strings.Contains(errs, "already holds keys") || !strings.Contains(errs, "--replace") {
		t.Fatalf("second load: code %d, %s", code, errs)
	}
	code, out, errs = rdbCLI(t, "load", file, "--target", target, "--replace", "--db-map", "0:4,1:5")
	if code != 0 || !strings.Contains(out, "65 keys loaded") {
		t.Fatalf("load --replace --db-map: code %d\n%s\n%s", code, out, errs)
	}
	for _, s := range []string{out, errs} {
		if strings.Contains(s, pw) {
			t.Fatal("the password was printed")
		}
	}
	for _, bad := range [][]string{
		{"--db-map", "0-1"},
		{"--replace", "--flush"},
		{"--target", "http://x:1"},
	} {
		args := append([]string{"load", file, "--target", target}, bad...)
		if code, _, errs := rdbCLI(t, args...); code != 2 {
			t.Fatalf("%v: code %d, want 2 (%s)", bad, code, errs)
		}
	}
	t.Setenv("REDISCLI_AUTH", "wrong")
	if code, _, errs := rdbCLI(t, "load", file, "--target", target, "--replace"); code != 1 || !strings.Contains(errs, "WRONGPASS") && !strings.Contains(errs, "AUTH") {
		t.Fatalf("wrong password: code %d, %s", code, errs)
	}
}
