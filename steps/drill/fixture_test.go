package drill

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/dnsserver"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/lab/zone"
	"github.com/cutover/cutover/runbook"
)

// fixture is a sentinel target, with dns.record leading to its primary,
// or a cluster target (cl).
type fixture struct {
	tp  *labtest.Topology
	cl  *servers.Cluster
	cfg *runbook.Config
	pw  string

	mu   sync.Mutex
	logs []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{tp: labtest.Sentinel(t)}
	f.pw = f.tp.Password
	// A primary restarted by the drill is not the topology's child.
	t.Cleanup(func() { servers.KillStale(f.tp.Primary.Dir) })
	zones := zone.NewStore()
	must(t, zones.AddZone("Z0TEST", "lab.internal."))
	must(t, zones.Set("Z0TEST", zone.Record{Name: "target.lab.internal", Type: "A", TTL: 30, Values: []string{f.tp.Primary.Host}}))
	must(t, zones.Set("Z0TEST", zone.Record{Name: "cache.lab.internal", Type: "CNAME", TTL: 30, Values: []string{"target.lab.internal"}}))
	dns, err := dnsserver.Start(servers.PickBlock().Host(53)+":0", zones)
	must(t, err)
	t.Cleanup(func() { dns.Close() })
	f.cfg = &runbook.Config{
		Target: runbook.Target{
			Endpoint: runbook.Endpoint{Kind: "sentinel", URL: "redis://" + f.tp.Primary.Addr(), Secret: runbook.Secret{Env: "TGT", Value: f.tp.Password}},
			Sentinel: runbook.Sentinel{Master: f.tp.Master, Addrs: f.tp.SentinelAddrs()},
		},
		DNS: runbook.DNS{HostedZoneID: "Z0TEST", Record: "cache.lab.internal", SourceValue: "source.lab.internal",
			TargetValue: "target.lab.internal", TTL: 30, Resolver: dns.Addr()},
	}
	return f
}

func (f *fixture) env(mode string) *runbook.Env {
	st := runbook.NewState(runbook.New(), "redis", f.cfg.Target.Kind)
	return &runbook.Env{Config: f.cfg, State: &st, Operator: "alice", Options: map[string]string{"mode": mode},
		Log: func(format string, args ...any) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.logs = append(f.logs, fmt.Sprintf(format, args...))
		}}
}

func (f *fixture) drill(t *testing.T, mode string) (runbook.Result, time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	start := time.Now()
	res, err := (&Drill{}).Run(ctx, f.env(mode), func(runbook.Progress) {})
	took := time.Since(start)
	f.mu.Lock()
	for _, l := range f.logs {
		t.Log(l)
		if strings.Contains(l, f.pw) {
			t.Errorf("a log line holds the password: %q", l)
		}
	}
	f.mu.Unlock()
	t.Logf("%s drill took %s: err %v\nsummary: %s\noutputs: %v\nwarnings: %q", mode, took.Round(time.Millisecond), err, res.Summary, res.Outputs, res.Warnings)
	return res, took, err
}

func client(addr, password string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Password: password, Protocol: 2, DialTimeout: time.Second, ReadTimeout: time.Second})
}

// role is what INFO replication says of the server at addr.
func role(t *testing.T, addr, password string) (string, string) {
	t.Helper()
	c := client(addr, password)
	defer c.Close()
	info, err := c.InfoMap(context.Background(), "replication").Result()
	if err != nil {
		return "unreachable: " + err.Error(), ""
	}
	r := info["Replication"]
	return r["role"], r["master_host"] + ":" + r["master_port"]
}

// stopped reports whether pid is stopped (SIGSTOP): state T in /proc.
func stopped(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'T'
}

// canaryKeys counts keys the drill left behind.
func canaryKeys(t *testing.T, addr, password string) int {
	t.Helper()
	c := client(addr, password)
	defer c.Close()
	keys, err := c.Keys(context.Background(), "cutover:drill:*").Result()
	must(t, err)
	return len(keys)
}

func outInt(t *testing.T, res runbook.Result, k string) int {
	t.Helper()
	n, err := strconv.Atoi(res.Outputs[k])
	if err != nil {
		t.Fatalf("output %s=%q is not a number", k, res.Outputs[k])
	}
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
