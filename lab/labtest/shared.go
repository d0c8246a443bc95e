package labtest

import (
	"os"
	"path/filepath"
	"testing"
)

// RDBTestdata is shared/testdata/rdb, the RDB files written by newer Redis
// and Valkey engines: beside the repository (a CI clone has shared/ next to
// it), found by walking up from the test's directory.
func RDBTestdata(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "..", "shared", "testdata", "rdb")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("shared/testdata/rdb not found beside the repository or any folder above the test")
		}
		dir = parent
	}
}
