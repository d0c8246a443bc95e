package servers

import (
	"fmt"
	"os/exec"
)

// MissingBinaryError says that redis-server or redis-sentinel is not on PATH.
// The CLI exits 2 on it (errors.As).
type MissingBinaryError struct {
	Binary string // "redis-server" or "redis-sentinel"
}

func (e *MissingBinaryError) Error() string {
	return fmt.Sprintf("%s not found: install it with `apt-get install %s` (Debian/Ubuntu) or `brew install redis` (macOS)", e.Binary, e.Binary)
}

// lookBinary finds name on PATH or returns a *MissingBinaryError.
func lookBinary(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", &MissingBinaryError{Binary: name}
	}
	return path, nil
}

// CheckBinaries reports the first of redis-server and redis-sentinel that
// is missing, so a lab can refuse before it starts anything.
func CheckBinaries() error {
	for _, b := range []string{"redis-server", "redis-sentinel"} {
		if _, err := lookBinary(b); err != nil {
			return err
		}
	}
	return nil
}
