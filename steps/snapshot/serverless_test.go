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
	"github.com/cutover/cutover/lab/zone"
	"github.com/cutover/cutover/runbook"
)

func serverlessStub(t *testing.T, snap func(context.Context, io.Writer) error) *awsstub.Server {
	labtest.AWSEnv(t)
	s, err := awsstub.Start(awsstub.Config{Serverless: &awsstub.Serverless{Name: "lab-cache", Endpoint: "lab-cache-x1.serverless.use1.cache.amazonaws.com:6379"},
		Snapshot: snap, Info: func(context.Context) (string, error) { return "", nil }, Zones: zone.NewStore(),
		SnapshotDelay: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
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
	at := time.Date(2026, 11, 25, 17, 40, 12, 0, time.UTC)
	e := &Executor{Poll: 50 * time.Millisecond, Now: func() time.Time { return at }}
	p, err := e.Plan(context.Background(), env)
	if err != nil || p.Resource != "lab-cache" || !strings.Contains(p.Calls[0], "CreateServerlessCacheSnapshot ServerlessCacheName=lab-cache ServerlessCacheSnapshotName=cutover-lab-cache-20261125-1740") {
		t.Fatalf("plan %+v, %v", p, err)
	}
	if v, err := e.Verify(context.Background(), env); err != nil || v.OK {
		t.Fatalf("verify before any snapshot: %+v, %v", v, err)
	}
	var seen []string
	res, err := e.Run(context.Background(), env, func(p runbook.Progress) { seen = append(seen, p.Message) })
	if err != nil || !res.OK || res.Outputs["name"] != "cutover-lab-cache-20261125-1740" || res.Outputs["shards"] != "1" || res.Outputs["taken_at"] == "" {
		t.Fatalf("run: %+v, %v", res, err)
	}
	if !strings.Contains(strings.Join(seen, "\n"), "is creating") {
		t.Fatalf("progress never showed the snapshot creating: %q", seen)
	}
	// The same minute again: the existing snapshot is reused.
	if res, err = e.Run(context.Background(), env, func(runbook.Progress) {}); err != nil || !res.OK {
		t.Fatalf("re-run: %+v, %v", res, err)
	}
	if v, err := e.Verify(context.Background(), env); err != nil || !v.OK || v.Outputs["name"] != "cutover-lab-cache-20261125-1740" {
		t.Fatalf("verify finds the newest cutover snapshot: %+v, %v", v, err)
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
