package labtest

import (
	"path/filepath"
	"testing"
)

// AWSEnv gives the AWS SDK static fake credentials and keeps it off the
// host's AWS files, profile and instance metadata, for tests that talk to
// the lab's AWS stand-in.
func AWSEnv(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLEFAKE00000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-for-tests")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
}
