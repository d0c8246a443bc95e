package load

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/runbook"
)

// migrate.load on a cluster target: the plan names the slot routing, the
// run loads every downloaded shard file, and verify sums the primaries.
func TestRunCluster(t *testing.T) {
	t.Parallel()
	src, files := shardFiles(t, 2000)
	_, want := verifiedAll(t, files)
	dst := labtest.Cluster(t, 3, 0, labtest.WithPassword(clusterPW))
	seedAddr := dst.Primaries[0].Addr()
	tgt := runbook.Target{Endpoint: runbook.Endpoint{Kind: "cluster", URL: "redis://" + seedAddr, Secret: runbook.Secret{Value: clusterPW}}}
	e := env(t, tgt, "", nil)
	delete(e.State.Facts, runbook.SnapshotFile)
	e.State.Facts[runbook.DownloadFiles] = strings.Join(files, ",")
	ctx := context.Background()

	p, err := (&Executor{}).Plan(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if p.Resource != seedAddr || !slices.ContainsFunc(p.Calls, func(c string) bool { return strings.Contains(c, "CLUSTER SLOTS") }) ||
		!slices.ContainsFunc(p.Calls, func(c string) bool { return strings.Contains(c, "MOVED") }) {
		t.Fatalf("plan %+v", p)
	}
	if strings.Contains(strings.Join(append(p.Calls, p.Summary), " "), clusterPW) {
		t.Fatal("the plan shows the password")
	}
	if _, err := (&Executor{}).Plan(ctx, env(t, tgt, files[0], map[string]string{"method": "restart"})); err == nil || !strings.Contains(err.Error(), "method=restore") {
		t.Fatalf("restart on a cluster: %v, want a refusal", err)
	}

	res, err := (&Executor{}).Run(ctx, e, func(runbook.Progress) {})
	if err != nil || !res.OK {
		t.Fatalf("run: %+v, %v", res, err)
	}
	if res.Outputs[runbook.LoadKeys.Name] != strconv.FormatInt(want, 10) || res.Outputs["moved"] != "0" {
		t.Fatalf("outputs %v, want %d keys", res.Outputs, want)
	}
	for _, n := range dst.Primaries {
		if !slices.ContainsFunc(res.Evidence, func(ev runbook.Evidence) bool { return ev.Name == "keys written on "+n.Addr() && ev.Value != "0" }) {
			t.Fatalf("no keys written on %s in %+v", n.Addr(), res.Evidence)
		}
	}
	sameCluster(t, src, dst)
	v, err := (&Executor{}).Verify(ctx, e)
	if err != nil || !v.OK {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	c := nodeClient(dst.Primaries[2].Addr(), clusterPW)
	defer c.Close()
	c.FlushAll(ctx)
	v, err = (&Executor{}).Verify(ctx, e)
	if err != nil || v.OK {
		t.Fatalf("verify with a primary emptied passed: %+v, %v", v, err)
	}
}
