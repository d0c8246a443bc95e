package snapshot

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/replication"
	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/runbook"
)

func serverlessStub(t *testing.T, snap func(context.Context, io.Writer) error) *awsstub.Server {
	return startStub(t, awsstub.Config{Serverless: &awsstub.Serverless{Name: "lab-cache", Endpoint: "lab-cache-x1.serverless.use1.cache.amazonaws.com:6379"}, Snapshot: snap})
}

func TestServerlessSnapshot(t *testing.T) {
	r := labtest.Redis(t)
	labtest.Fill(t, r, 10)
	s := serverlessStub(t, func(ctx context.Context, w io.Writer) error {
		_, err := replication.Replicate(ctx, r.Addr(), "", w, nil)
		return err
	})
	env := testEnv(t, runbook.Endpoint{Kind: runbook.KindServerless, URL: "rediss://lab-cache-x1.serverless.use1.cache.amazonaws.com:6379", ServerlessCache: "lab-cache"},
		runbook.AWS{Region: "us-east-1", Endpoint: s.URL()})
	res := managedSnapshot(t, env, "CreateServerlessCacheSnapshot ServerlessCacheName=lab-cache ServerlessCacheSnapshotName=cutover-lab-cache-20261125-1740")
	if res.Outputs["taken_at"] == "" {
		t.Fatalf("run: %+v", res)
	}
}

func TestServerlessSnapshotFails(t *testing.T) {
	s := serverlessStub(t, func(context.Context, io.Writer) error { return errors.New("out of memory") })
	env := testEnv(t, runbook.Endpoint{Kind: runbook.KindServerless, URL: "rediss://x:6379", ServerlessCache: "lab-cache"},
		runbook.AWS{Region: "us-east-1", Endpoint: s.URL()})
	_, err := (&Executor{Poll: 50 * time.Millisecond}).Run(context.Background(), env, func(runbook.Progress) {})
	if err == nil || !strings.Contains(err.Error(), "ended in status failed") {
		t.Fatalf("want a failed-snapshot error, got %v", err)
	}
	env.Config.Source.ServerlessCache = "no-such-cache"
	_, err = (&Executor{}).Run(context.Background(), env, func(runbook.Progress) {})
	if err == nil || !strings.Contains(err.Error(), "ServerlessCacheNotFoundFault") {
		t.Fatalf("want the not-found fault, got %v", err)
	}
}
