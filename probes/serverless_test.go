package probes

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/zone"
	"github.com/cutover/cutover/runbook"
)

// serverlessACL is what an ElastiCache Serverless cache refuses, as the
// lab's serverless source enforces it for its users.
const serverlessACL = "on >app-pw ~* &* +@all -config -bgsave -lastsave -save -sync -psync -client|list -client|kill -debug -monitor"

// serverlessLab puts the AWS stand-in's serverless cache in front of a real
// redis-server whose user app has the serverless restrictions, and returns
// a config whose source is that cache (logged in as app) and whose target
// is another server, and the source's address.
func serverlessLab(t *testing.T) (*runbook.Config, string) {
	t.Helper()
	r := redisPW(t, "pw", "maxmemory 64mb", "user app "+serverlessACL)
	admin := Client(source(r.Addr(), "pw"), "admin")
	t.Cleanup(func() { admin.Close() })
	zones := zone.NewStore()
	if err := zones.AddZone("Z0LAB", "lab.internal"); err != nil {
		t.Fatal(err)
	}
	srv, err := awsstub.Start(awsstub.Config{
		Serverless:   &awsstub.Serverless{Name: "lab-cache", Endpoint: "lab-cache-x1.serverless.use1.cache.amazonaws.com:6379", MaxDataGB: 10},
		UserGroupIDs: []string{"lab-users"},
		Users: []awsstub.User{
			{ID: "app", AccessString: "on " + serverlessACL[strings.Index(serverlessACL, "~"):]},
			{ID: "reporting", AccessString: "on ~report:* +@read"},
		},
		SnapshotRetentionLimit: 1, SnapshotWindow: "05:00-06:00",
		Snapshot: func(context.Context, io.Writer) error { return nil },
		Info:     func(ctx context.Context) (string, error) { return admin.Info(ctx, "default", "commandstats").Result() },
		Zones:    zones,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	src := source(r.Addr(), "app-pw")
	src.Kind, src.ServerlessCache, src.Username = runbook.KindServerless, "lab-cache", "app"
	tgt := redisPW(t, "tpw", "maxmemory 64mb", "maxmemory-policy volatile-lru")
	cfg := labConfig(src, target(tgt.Addr(), "tpw"))
	cfg.AWS = runbook.AWS{Region: "us-east-1", Endpoint: srv.URL()}
	return cfg, r.Addr()
}

func TestDiscoverServerless(t *testing.T) {
	t.Parallel()
	cfg, _ := serverlessLab(t)
	res := runCheck(t, "inventory.discover", envFor(cfg, nil))
	wantResult(t, res, true, "serverless redis 7.0, endpoint lab-cache-x1.serverless.use1.cache.amazonaws.com:6379, auth rbac, data storage max 10 GB")
	for k, want := range map[string]string{
		"engine": "redis", "version": "7.0", "cluster_mode": "enabled", "shards": "1", "auth": "rbac", "user_group": "lab-users",
		"users": "app,default,reporting", "transit_encryption": "true", "at_rest_encryption": "true", "global_datastore": "false",
		"endpoint": "lab-cache-x1.serverless.use1.cache.amazonaws.com:6379", "reader_endpoint": "lab-cache-x1.serverless.use1.cache.amazonaws.com:6380",
		"data_storage_limit": "max 10 GB", "ecpu_limit": "no maximum", "snapshot_retention": "1", "daily_snapshot_time": "05:00",
		"security_groups": "sg-0lab00000000cache", "maxmemory-policy": "volatile-lru", "keyspace_events": "unavailable",
	} {
		if got := res.Outputs[k]; got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	wantContains(t, evidence(t, res, "notify-keyspace-events").Value, "unavailable: ElastiCache Serverless has no keyspace notifications")

	cfg.Source.ServerlessCache = "nosuch"
	res = runCheck(t, "inventory.discover", envFor(cfg, nil))
	wantResult(t, res, false, `serverless cache "nosuch" not found (check source.serverless_cache and aws.region)`)
}

// The checks that read the source work on a serverless one without
// sending it what it refuses: the source's commandstats afterwards have no
// CONFIG, CLIENT LIST, BGSAVE or LASTSAVE, refused or not.
func TestServerlessChecksSendNoRefusedCommands(t *testing.T) {
	t.Parallel()
	cfg, src := serverlessLab(t)
	admin := Client(source(src, "pw"), "admin")
	defer admin.Close()
	ctx := context.Background()
	if err := admin.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	disc := runCheck(t, "inventory.discover", envFor(cfg, nil))
	facts := runbook.Facts{}
	for k, v := range disc.Outputs {
		facts[runbook.Fact{Step: runbook.InventoryDiscover, Name: k}] = v
	}
	env := envFor(cfg, facts)

	res := runCheck(t, "build.keyspace_events", env)
	wantResult(t, res, true, "no keyspace notifications on either side")
	wantContains(t, evidence(t, res, "notify-keyspace-events on the target").Want, "(the serverless cache's)")

	res = runCheck(t, "build.memory", env)
	wantResult(t, res, true, "policy volatile-lru as on the source")
	wantContains(t, evidence(t, res, "maxmemory-policy").Want, "volatile-lru (the serverless cache's)")

	res = runCheck(t, "cutover.stragglers", env)
	wantResult(t, res, true, "not checked: ElastiCache Serverless refuses CLIENT LIST")
	wantContains(t, evidence(t, res, "application connections on the source").Value, "skipped: ElastiCache Serverless refuses CLIENT LIST")
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "CurrConnections") {
		t.Errorf("warnings %q", res.Warnings)
	}

	res = runCheck(t, "build.users", env)
	wantContains(t, res.Summary, "user app on "+cfg.Target.URL[len("redis://"):]+" (primary): missing")
	if !strings.Contains(evidence(t, res, "user app: the target needs").Value, "-client|list") {
		t.Errorf("the app user's rules are not the serverless cache's: %+v", res.Evidence)
	}

	for _, id := range []runbook.StepID{"build.databases", "build.version", "build.commands", "build.scripts"} {
		res := runCheck(t, id, env)
		for _, e := range res.Evidence {
			if strings.Contains(e.Value, "NOPERM") {
				t.Errorf("%s sent the serverless source a refused command: %s: %s", id, e.Name, e.Value)
			}
		}
	}

	stats, err := admin.Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stats, "cmdstat_info:") {
		t.Fatalf("the checks sent the source nothing: %s", stats)
	}
	for _, cmd := range []string{"cmdstat_config", "cmdstat_client|list", "cmdstat_bgsave", "cmdstat_lastsave", "cmdstat_sync", "cmdstat_psync"} {
		if strings.Contains(stats, cmd+":") {
			t.Errorf("the source got %s:\n%s", cmd, stats)
		}
	}
}

// A live sync needs keyspace notifications: refused for serverless before
// anything runs.
func TestServerlessKeyspaceSuggestsNoLiveSync(t *testing.T) {
	t.Parallel()
	cfg, _ := serverlessLab(t)
	res := runCheck(t, "inventory.discover", envFor(cfg, nil))
	st := envFor(cfg, runbook.Facts{runbook.DiscoverKeyspaceEvents: res.Outputs["keyspace_events"]}).State
	if opt, _ := runbook.New().Step(runbook.MigrateStrategy).Suggest(st.Facts); opt == "live" {
		t.Fatal("a live sync is suggested for a serverless source")
	}
}
