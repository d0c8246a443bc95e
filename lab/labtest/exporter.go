package labtest

import (
	"context"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/servers"
)

// Exporter starts prometheus-redis-exporter against r (with its password)
// on a random loopback address; it is stopped by t.Cleanup.
func Exporter(t testing.TB, r *servers.Redis) *servers.Exporter {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e, err := servers.StartExporter(ctx, servers.ExporterConfig{
		Dir: t.TempDir(), Host: servers.PickBlock().Host(1), RedisAddr: r.Addr(), Password: r.Password,
	})
	if err != nil {
		t.Fatalf("labtest: %v", err)
	}
	t.Cleanup(e.Stop)
	return e
}
