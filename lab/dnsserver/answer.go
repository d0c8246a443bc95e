package dnsserver

import (
	"net"

	"github.com/miekg/dns"

	"github.com/cutover/cutover/lab/zone"
)

// maxChain bounds CNAME chasing inside the store, which also breaks loops.
const maxChain = 8

// negativeTTL is the SOA minimum: short, so lab changes show up quickly in
// resolvers that cache NXDOMAIN.
const negativeTTL = 5

// answer builds the authoritative reply to req from the store.
func answer(store *zone.Store, req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	if req.Opcode != dns.OpcodeQuery {
		m.Rcode = dns.RcodeNotImplemented
		return m
	}
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	q := req.Question[0]
	if q.Qclass != dns.ClassINET {
		m.Rcode = dns.RcodeRefused
		return m
	}
	name, err := zone.Canonical(q.Name)
	if err != nil {
		m.Rcode = dns.RcodeRefused
		return m
	}
	z, ok := store.ZoneFor(name)
	if !ok {
		m.Rcode = dns.RcodeRefused
		return m
	}
	m.Authoritative = true

	owner := q.Name // the first answer echoes the question's spelling
	seen := map[string]bool{}
	for range maxChain {
		seen[name] = true
		if q.Qtype == dns.TypeSOA && name == z.Name {
			m.Answer = append(m.Answer, soa(z, store.Version()))
			return m
		}
		if r, ok := store.Get(name, dns.TypeToString[q.Qtype]); ok {
			m.Answer = append(m.Answer, rrs(owner, r)...)
			return m
		}
		c, ok := store.Get(name, zone.TypeCNAME)
		if !ok {
			if !store.Exists(name) {
				m.Rcode = dns.RcodeNameError
			}
			m.Ns = append(m.Ns, soa(z, store.Version()))
			return m
		}
		m.Answer = append(m.Answer, rrs(owner, c)...)
		target := c.Values[0]
		next, inStore := store.ZoneFor(target)
		if !inStore || seen[target] {
			return m // outside our zones, or a loop: the resolver takes it from here
		}
		name, owner, z = target, target, next
	}
	return m
}

// rrs turns a record set into wire records owned by owner.
func rrs(owner string, r zone.Record) []dns.RR {
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: owner, Rrtype: t, Class: dns.ClassINET, Ttl: uint32(r.TTL)}
	}
	var out []dns.RR
	for _, v := range r.Values {
		switch r.Type {
		case zone.TypeA:
			out = append(out, &dns.A{Hdr: hdr(dns.TypeA), A: net.ParseIP(v).To4()})
		case zone.TypeCNAME:
			out = append(out, &dns.CNAME{Hdr: hdr(dns.TypeCNAME), Target: v})
		}
	}
	return out
}

func soa(z zone.Zone, version uint64) dns.RR {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: z.Name, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: negativeTTL},
		Ns:      "ns." + z.Name,
		Mbox:    "hostmaster." + z.Name,
		Serial:  uint32(version),
		Refresh: 3600,
		Retry:   600,
		Expire:  86400,
		Minttl:  negativeTTL,
	}
}
