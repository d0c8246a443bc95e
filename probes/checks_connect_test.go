package probes

import (
	"testing"

	"github.com/cutover/cutover/lab/dnsserver"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/zone"
	"github.com/cutover/cutover/runbook"
)

// dnsFor serves lab.internal with cache -> target (CNAME) and the A
// records given.
func dnsFor(t *testing.T, a map[string]string) (*zone.Store, string) {
	t.Helper()
	store := zone.NewStore()
	if err := store.AddZone("Z0LAB", "lab.internal"); err != nil {
		t.Fatal(err)
	}
	for name, ip := range a {
		if err := store.Set("Z0LAB", zone.Record{Name: name, Type: "A", TTL: 30, Values: []string{ip}}); err != nil {
			t.Fatal(err)
		}
	}
	point(t, store, "target.lab.internal")
	srv, err := dnsserver.Start("127.0.0.1:0", store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return store, srv.Addr()
}

func point(t *testing.T, store *zone.Store, to string) {
	t.Helper()
	if err := store.Set("Z0LAB", zone.Record{Name: "cache.lab.internal", Type: "CNAME", TTL: 30, Values: []string{to}}); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyConnect(t *testing.T) {
	t.Parallel()
	tgt := redisPW(t, "tgt")
	// All on one port number, so the name alone decides which answers.
	src := labtest.Redis(t, labtest.WithPassword("src"), labtest.WithPort(tgt.Port))
	other := labtest.Redis(t, labtest.WithPassword("tgt"), labtest.WithPort(tgt.Port))
	store, resolver := dnsFor(t, map[string]string{"target.lab.internal": tgt.Host, "other.lab.internal": other.Host, "source.lab.internal": src.Host})
	cfg := labConfig(source(src.Addr(), "src"), target(tgt.Addr(), "tgt"))
	cfg.DNS = runbook.DNS{Record: "cache.lab.internal", SourceValue: "source.lab.internal", TargetValue: "target.lab.internal", Resolver: resolver}

	res := runCheck(t, "verify.connect", envFor(cfg, nil))
	wantResult(t, res, true, "cache.lab.internal leads to the target primary "+tgt.Addr())
	wantContains(t, evidence(t, res, "resolve cache.lab.internal").Value, "target.lab.internal -> "+tgt.Host)

	// The name leads to another server that takes the same password.
	point(t, store, "other.lab.internal")
	res = runCheck(t, "verify.connect", envFor(cfg, nil))
	wantResult(t, res, false, "server behind the name: run_id")
	wantResult(t, res, false, "resolve cache.lab.internal: other.lab.internal -> "+other.Host)

	// Still on the source: its password is not the target's.
	point(t, store, "source.lab.internal")
	res = runCheck(t, "verify.connect", envFor(cfg, nil))
	wantResult(t, res, false, "PING through cache.lab.internal: WRONGPASS: the password for target is wrong")

	cfg.DNS.Record = "nosuch.lab.internal"
	res = runCheck(t, "verify.connect", envFor(cfg, nil))
	wantResult(t, res, false, "cannot resolve nosuch.lab.internal: no such host")
}

func TestDiscoverRedisSource(t *testing.T) {
	t.Parallel()
	r := redisPW(t, "pw", "maxmemory-policy allkeys-lru", "notify-keyspace-events Ex")
	cfg := labConfig(source(r.Addr(), "pw"), target(r.Addr(), "pw"))
	res := runCheck(t, "inventory.discover", envFor(cfg, nil))
	wantResult(t, res, true, "redis 7.0.15, role master, 0 replica(s), 0 keys")
	for k, want := range map[string]string{
		"engine": "redis", "version": "7.0.15", "global_datastore": "false", "maxmemory-policy": "allkeys-lru",
		"param.maxmemory-policy": "allkeys-lru", "param.notify-keyspace-events": "xE", "auth": "token",
		"transit_encryption": "false", "primary_endpoint": r.Addr(), "keyspace_events": "settable",
	} {
		if got := res.Outputs[k]; got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if _, ok := res.Outputs["param.timeout"]; ok {
		t.Error("a default setting was listed as changed")
	}
}
