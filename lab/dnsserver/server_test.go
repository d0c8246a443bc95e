package dnsserver

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cutover/cutover/lab/zone"
)

func labStore(t *testing.T) *zone.Store {
	t.Helper()
	s := zone.NewStore()
	must(t, s.AddZone("Z0LAB", "lab.internal"))
	must(t, s.Set("Z0LAB", zone.Record{Name: "src.lab.internal", Type: "A", TTL: 60, Values: []string{"127.0.31.1"}}))
	must(t, s.Set("Z0LAB", zone.Record{Name: "dst.lab.internal", Type: "A", TTL: 60, Values: []string{"127.0.31.2", "127.0.31.3"}}))
	must(t, s.Set("Z0LAB", zone.Record{Name: "cache.lab.internal", Type: "CNAME", TTL: 30, Values: []string{"alias.lab.internal"}}))
	must(t, s.Set("Z0LAB", zone.Record{Name: "alias.lab.internal", Type: "CNAME", TTL: 20, Values: []string{"src.lab.internal"}}))
	must(t, s.Set("Z0LAB", zone.Record{Name: "away.lab.internal", Type: "CNAME", TTL: 20, Values: []string{"db.example.com"}}))
	must(t, s.Set("Z0LAB", zone.Record{Name: "loop1.lab.internal", Type: "CNAME", TTL: 20, Values: []string{"loop2.lab.internal"}}))
	must(t, s.Set("Z0LAB", zone.Record{Name: "loop2.lab.internal", Type: "CNAME", TTL: 20, Values: []string{"loop1.lab.internal"}}))
	must(t, s.Set("Z0LAB", zone.Record{Name: "dangling.lab.internal", Type: "CNAME", TTL: 20, Values: []string{"gone.lab.internal"}}))
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func start(t *testing.T, s *zone.Store) *Server {
	t.Helper()
	srv, err := Start("127.0.31.53:0", s)
	must(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func query(t *testing.T, network, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	c := &dns.Client{Net: network, Timeout: 3 * time.Second}
	r, _, err := c.Exchange(m, addr)
	must(t, err)
	return r
}

// summary renders an answer section as "name type ttl value" lines.
func summary(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		f := strings.Fields(rr.String())
		out = append(out, strings.Join([]string{f[0], f[3], f[1], strings.Join(f[4:], " ")}, " "))
	}
	return out
}

func TestAnswers(t *testing.T) {
	srv := start(t, labStore(t))
	cases := []struct {
		name   string
		qtype  uint16
		rcode  int
		answer []string
	}{
		{"src.lab.internal.", dns.TypeA, dns.RcodeSuccess, []string{"src.lab.internal. A 60 127.0.31.1"}},
		{"DST.Lab.Internal.", dns.TypeA, dns.RcodeSuccess, []string{"DST.Lab.Internal. A 60 127.0.31.2", "DST.Lab.Internal. A 60 127.0.31.3"}},
		{"cache.lab.internal.", dns.TypeA, dns.RcodeSuccess, []string{
			"cache.lab.internal. CNAME 30 alias.lab.internal.",
			"alias.lab.internal. CNAME 20 src.lab.internal.",
			"src.lab.internal. A 60 127.0.31.1",
		}},
		{"cache.lab.internal.", dns.TypeCNAME, dns.RcodeSuccess, []string{"cache.lab.internal. CNAME 30 alias.lab.internal."}},
		{"cache.lab.internal.", dns.TypeAAAA, dns.RcodeSuccess, []string{
			"cache.lab.internal. CNAME 30 alias.lab.internal.",
			"alias.lab.internal. CNAME 20 src.lab.internal.",
		}},
		{"src.lab.internal.", dns.TypeAAAA, dns.RcodeSuccess, nil},
		{"away.lab.internal.", dns.TypeA, dns.RcodeSuccess, []string{"away.lab.internal. CNAME 20 db.example.com."}},
		{"loop1.lab.internal.", dns.TypeA, dns.RcodeSuccess, []string{
			"loop1.lab.internal. CNAME 20 loop2.lab.internal.",
			"loop2.lab.internal. CNAME 20 loop1.lab.internal.",
		}},
		{"dangling.lab.internal.", dns.TypeA, dns.RcodeNameError, []string{"dangling.lab.internal. CNAME 20 gone.lab.internal."}},
		{"nope.lab.internal.", dns.TypeA, dns.RcodeNameError, nil},
		{"lab.internal.", dns.TypeA, dns.RcodeSuccess, nil},
		{"example.com.", dns.TypeA, dns.RcodeRefused, nil},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, c := range cases {
			r := query(t, network, srv.Addr(), c.name, c.qtype)
			got := summary(r.Answer)
			if r.Rcode != c.rcode || !slices.Equal(got, c.answer) {
				t.Errorf("%s %s %s: rcode %s answer %q; want %s %q", network, c.name, dns.TypeToString[c.qtype],
					dns.RcodeToString[r.Rcode], got, dns.RcodeToString[c.rcode], c.answer)
			}
			if c.rcode != dns.RcodeRefused && !r.Authoritative {
				t.Errorf("%s %s: answer is not authoritative", network, c.name)
			}
			if len(c.answer) == 0 && c.rcode != dns.RcodeRefused && (len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA) {
				t.Errorf("%s %s: negative answer without the zone SOA: %v", network, c.name, r.Ns)
			}
		}
	}
}

func TestGoResolverFollowsStoreChanges(t *testing.T) {
	s := labStore(t)
	srv := start(t, s)
	res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Addr())
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	addrs, err := res.LookupHost(ctx, "cache.lab.internal")
	must(t, err)
	if !slices.Equal(addrs, []string{"127.0.31.1"}) {
		t.Fatalf("before the swap: %v", addrs)
	}
	must(t, s.Set("Z0LAB", zone.Record{Name: "cache.lab.internal", Type: "CNAME", TTL: 30, Values: []string{"dst.lab.internal"}}))
	addrs, err = res.LookupHost(ctx, "cache.lab.internal")
	must(t, err)
	slices.Sort(addrs)
	if !slices.Equal(addrs, []string{"127.0.31.2", "127.0.31.3"}) {
		t.Fatalf("after the swap: %v", addrs)
	}
	cname, err := res.LookupCNAME(ctx, "cache.lab.internal")
	must(t, err)
	if cname != "dst.lab.internal." {
		t.Fatalf("LookupCNAME = %q", cname)
	}
	_, err = res.LookupHost(ctx, "nope.lab.internal")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("unknown name: %v", err)
	}
}

func TestTruncatesLargeUDPAnswers(t *testing.T) {
	s := labStore(t)
	var many []string
	for i := range 60 {
		many = append(many, net.IPv4(127, 0, 32, byte(i+1)).String())
	}
	must(t, s.Set("Z0LAB", zone.Record{Name: "many.lab.internal", Type: "A", TTL: 5, Values: many}))
	srv := start(t, s)
	udp := query(t, "udp", srv.Addr(), "many.lab.internal.", dns.TypeA)
	if !udp.Truncated || len(udp.Answer) >= 60 {
		t.Fatalf("UDP answer of %d records, truncated=%v", len(udp.Answer), udp.Truncated)
	}
	tcp := query(t, "tcp", srv.Addr(), "many.lab.internal.", dns.TypeA)
	if tcp.Truncated || len(tcp.Answer) != 60 {
		t.Fatalf("TCP answer of %d records, truncated=%v", len(tcp.Answer), tcp.Truncated)
	}
}

func TestStartChecksAndCloseFreesThePort(t *testing.T) {
	if _, err := Start("192.0.2.1:53", zone.NewStore()); err == nil {
		t.Fatal("accepted a non-loopback address")
	}
	if _, err := Start("127.0.31.54:0", nil); err == nil {
		t.Fatal("accepted a nil store")
	}
	srv, err := Start("127.0.31.54:0", zone.NewStore())
	must(t, err)
	addr := srv.Addr()
	must(t, srv.Close())
	must(t, srv.Close())
	again, err := Start(addr, zone.NewStore())
	must(t, err)
	must(t, again.Close())
}
