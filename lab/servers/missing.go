package servers

import (
	"fmt"
	"os/exec"
)

// ExporterBinary is the Redis exporter (oliver006/redis_exporter) as Debian
// and Ubuntu package and name it.
const ExporterBinary = "prometheus-redis-exporter"

// MissingBinaryError says that a program the lab runs is not on PATH.
// The CLI exits 2 on it (errors.As).
type MissingBinaryError struct {
	Binary string // "redis-server", "redis-sentinel" or ExporterBinary
}

// brewFormula is the Homebrew formula that installs each binary.
var brewFormula = map[string]string{ExporterBinary: "redis_exporter"}

func (e *MissingBinaryError) Error() string {
	brew := brewFormula[e.Binary]
	if brew == "" {
		brew = "redis"
	}
	return fmt.Sprintf("%s not found: install it with `apt-get install %s` (Debian/Ubuntu) or `brew install %s` (macOS), or run `make deps`", e.Binary, e.Binary, brew)
}

// lookBinary finds name on PATH or returns a *MissingBinaryError.
func lookBinary(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", &MissingBinaryError{Binary: name}
	}
	return path, nil
}

// CheckBinaries reports the first of redis-server, redis-sentinel and the
// exporter that is missing, so a lab can refuse before it starts anything.
func CheckBinaries() error {
	for _, b := range []string{"redis-server", "redis-sentinel", ExporterBinary} {
		if _, err := lookBinary(b); err != nil {
			return err
		}
	}
	return nil
}
