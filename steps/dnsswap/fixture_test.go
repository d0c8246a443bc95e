package dnsswap

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/dnsserver"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/lab/zone"
	"github.com/cutover/cutover/runbook"
)

const (
	zoneID  = "Z0TEST"
	record  = "cache.lab.internal"
	srcName = "source.lab.internal"
	tgtName = "target.lab.internal"
)

// fixture is a source, a sentinel target, a hosted zone served by a DNS
// server and Route53 through the AWS stand-in, wired into a config.
type fixture struct {
	src   *servers.Redis
	tp    *labtest.Topology
	zones *zone.Store
	aws   *awsstub.Server
	cfg   *runbook.Config
	state runbook.State
	logs  []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	labtest.AWSEnv(t)
	f := &fixture{tp: labtest.Sentinel(t)}
	f.src = labtest.Redis(t, labtest.WithPassword("source-secret-pw"))
	f.zones = zone.NewStore()
	must(t, f.zones.AddZone(zoneID, "lab.internal."))
	f.setRecord(t, tgtName, zone.TypeA, f.tp.Primary.Host)
	f.setRecord(t, srcName, zone.TypeA, f.src.Host)
	f.setRecord(t, record, zone.TypeCNAME, srcName, 300)
	dns, err := dnsserver.Start(servers.PickBlock().Host(53)+":0", f.zones)
	must(t, err)
	t.Cleanup(func() { dns.Close() })
	f.aws, err = awsstub.Start(awsstub.Config{
		ReplicationGroupID: "lab-cache", PrimaryEndpoint: f.src.Addr(), Zones: f.zones,
		ChangeDelay: 200 * time.Millisecond,
		Snapshot:    func(context.Context, io.Writer) error { return errors.New("not used") },
		Info:        func(context.Context) (string, error) { return "", nil },
	})
	must(t, err)
	t.Cleanup(func() { f.aws.Close() })
	f.cfg = &runbook.Config{
		Source: runbook.Endpoint{Kind: "redis", URL: "redis://" + f.src.Addr(), Secret: runbook.Secret{Env: "SRC", Value: f.src.Password}},
		Target: runbook.Target{
			Endpoint: runbook.Endpoint{Kind: "sentinel", URL: "redis://" + f.tp.Primary.Addr(), Secret: runbook.Secret{Env: "TGT", Value: f.tp.Password}},
			Sentinel: runbook.Sentinel{Master: f.tp.Master, Addrs: f.tp.SentinelAddrs()},
		},
		AWS: runbook.AWS{Region: "us-east-1", Endpoint: f.aws.URL()},
		DNS: runbook.DNS{Provider: "route53", HostedZoneID: zoneID, Record: record, SourceValue: srcName,
			TargetValue: tgtName, TTL: 30, Resolver: dns.Addr()},
	}
	f.state = runbook.NewState(runbook.New(), "redis", "sentinel")
	return f
}

func (f *fixture) setRecord(t *testing.T, name, typ, value string, ttl ...int64) {
	t.Helper()
	r := zone.Record{Name: name, Type: typ, TTL: 60, Values: []string{value}}
	if len(ttl) > 0 {
		r.TTL = ttl[0]
	}
	must(t, f.zones.Set(zoneID, r))
}

func (f *fixture) cname(t *testing.T) zone.Record {
	t.Helper()
	r, ok := f.zones.Get(record, zone.TypeCNAME)
	if !ok {
		t.Fatalf("%s is gone from the zone", record)
	}
	return r
}

func (f *fixture) env() *runbook.Env {
	st := f.state
	return &runbook.Env{Config: f.cfg, State: &st, Operator: "alice",
		Log: func(format string, args ...any) { f.logs = append(f.logs, format) }}
}

// record stores a step's outputs as facts, as the engine does on success.
func (f *fixture) record(step runbook.StepID, res runbook.Result) {
	f.state.Facts.Record(step, res.Outputs)
}

func (f *fixture) run(t *testing.T, ex runbook.Executor) (runbook.Result, []runbook.Progress, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var progress []runbook.Progress
	res, err := ex.Run(ctx, f.env(), func(p runbook.Progress) { progress = append(progress, p) })
	return res, progress, err
}

func runID(t *testing.T, addr, password string) string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Password: password, Protocol: 2})
	defer c.Close()
	info, err := c.InfoMap(context.Background(), "server").Result()
	must(t, err)
	return info["Server"]["run_id"]
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
