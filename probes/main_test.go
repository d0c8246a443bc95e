package probes

import (
	"os"
	"testing"
)

// TestMain gives the AWS SDK static lab credentials and keeps it off the
// instance metadata service: AWS tests talk only to loopback stand-ins.
func TestMain(m *testing.M) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIDLAB",
		"AWS_SECRET_ACCESS_KEY":       "lab-secret",
		"AWS_REGION":                  "us-east-1",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		os.Setenv(k, v)
	}
	os.Exit(m.Run())
}
