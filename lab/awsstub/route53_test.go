package awsstub

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/cutover/cutover/lab/dnsserver"
)

func cname(action types.ChangeAction, name, target string, ttl int64) types.Change {
	return types.Change{Action: action, ResourceRecordSet: &types.ResourceRecordSet{
		Name: aws.String(name), Type: types.RRTypeCname, TTL: aws.Int64(ttl),
		ResourceRecords: []types.ResourceRecord{{Value: aws.String(target)}},
	}}
}

func (l *lab) change(ctx context.Context, changes ...types.Change) (*route53.ChangeResourceRecordSetsOutput, error) {
	return l.r53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String("/hostedzone/Z0LAB"),
		ChangeBatch:  &types.ChangeBatch{Comment: aws.String("cutover.cname"), Changes: changes},
	})
}

func (l *lab) listed(t *testing.T, name string) string {
	t.Helper()
	out, err := l.r53.ListResourceRecordSets(ctxT(t), &route53.ListResourceRecordSetsInput{
		HostedZoneId: aws.String("Z0LAB"), StartRecordName: aws.String(name), StartRecordType: types.RRTypeCname, MaxItems: aws.Int32(1)})
	must(t, err)
	if len(out.ResourceRecordSets) != 1 || aws.ToString(out.ResourceRecordSets[0].Name) != name {
		t.Fatalf("ListResourceRecordSets from %s: %+v", name, out.ResourceRecordSets)
	}
	return aws.ToString(out.ResourceRecordSets[0].ResourceRecords[0].Value)
}

func resolver(addr string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

func lookup(t *testing.T, r *net.Resolver, name string) string {
	t.Helper()
	addrs, err := r.LookupHost(ctxT(t), name)
	must(t, err)
	return strings.Join(addrs, ",")
}

func TestCNAMESwapGoesInSyncAndReachesDNS(t *testing.T) {
	l := newLab(t, nil)
	dns, err := dnsserver.Start("127.0.41.53:0", l.zones)
	must(t, err)
	defer dns.Close()
	res := resolver(dns.Addr())
	ctx := ctxT(t)

	if got := lookup(t, res, "cache.lab.internal"); got != "127.0.41.1" {
		t.Fatalf("before the swap the name resolves to %s", got)
	}
	// Guarded swap: DELETE of the expected current value, then CREATE.
	out, err := l.change(ctx,
		cname(types.ChangeActionDelete, "cache.lab.internal", "source.lab.internal", 300),
		cname(types.ChangeActionCreate, "cache.lab.internal", "target.lab.internal", 30))
	must(t, err)
	if out.ChangeInfo.Status != types.ChangeStatusPending || !strings.HasPrefix(aws.ToString(out.ChangeInfo.Id), "/change/") {
		t.Fatalf("ChangeInfo = %+v", out.ChangeInfo)
	}
	// The API shows the new value at once; DNS keeps the old one until INSYNC.
	if v := l.listed(t, "cache.lab.internal."); v != "target.lab.internal." {
		t.Fatalf("listed while pending: %s", v)
	}
	if got := lookup(t, res, "cache.lab.internal"); got != "127.0.41.1" {
		t.Fatalf("DNS changed before INSYNC: %s", got)
	}
	id := aws.String(strings.TrimPrefix(aws.ToString(out.ChangeInfo.Id), "/change/"))
	first, err := l.r53.GetChange(ctx, &route53.GetChangeInput{Id: id})
	must(t, err)
	if first.ChangeInfo.Status != types.ChangeStatusPending {
		t.Fatalf("GetChange right away: %s", first.ChangeInfo.Status)
	}
	w := route53.NewResourceRecordSetsChangedWaiter(l.r53, func(o *route53.ResourceRecordSetsChangedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 100*time.Millisecond
	})
	must(t, w.Wait(ctx, &route53.GetChangeInput{Id: out.ChangeInfo.Id}, 5*time.Second))
	if got := lookup(t, res, "cache.lab.internal"); got != "127.0.41.2" {
		t.Fatalf("after INSYNC the name resolves to %s", got)
	}

	// A guard that no longer matches is refused like Route53 does.
	_, err = l.change(ctx, cname(types.ChangeActionDelete, "cache.lab.internal", "source.lab.internal", 300))
	var icb *types.InvalidChangeBatch
	if !errors.As(err, &icb) || !strings.Contains(icb.ErrorMessage(), "values provided do not match the current values") {
		t.Fatalf("stale DELETE: %v", err)
	}
	_, err = l.change(ctx, cname(types.ChangeActionCreate, "cache.lab.internal", "source.lab.internal", 30))
	if !errors.As(err, &icb) || !strings.Contains(icb.ErrorMessage(), "but it already exists") {
		t.Fatalf("CREATE of an existing record: %v", err)
	}
	_, err = l.change(ctx, cname(types.ChangeActionUpsert, "source.lab.internal", "target.lab.internal", 30))
	if !errors.As(err, &icb) || !strings.Contains(icb.ErrorMessage(), "conflicting RRSet of type A") {
		t.Fatalf("CNAME over an A record: %v", err)
	}
	_, err = l.change(ctx, cname(types.ChangeActionUpsert, "cache.other.example", "target.lab.internal", 30))
	if !errors.As(err, &icb) || !strings.Contains(icb.ErrorMessage(), "is not permitted in zone lab.internal.") {
		t.Fatalf("name outside the zone: %v", err)
	}
}

func TestHeldChangeStaysPending(t *testing.T) {
	l := newLab(t, nil)
	ctx := ctxT(t)
	l.srv.HoldChanges(true)
	out, err := l.change(ctx, cname(types.ChangeActionUpsert, "cache.lab.internal", "target.lab.internal", 30))
	must(t, err)
	time.Sleep(400 * time.Millisecond) // twice ChangeDelay
	got, err := l.r53.GetChange(ctx, &route53.GetChangeInput{Id: out.ChangeInfo.Id})
	must(t, err)
	if got.ChangeInfo.Status != types.ChangeStatusPending {
		t.Fatalf("held change is %s", got.ChangeInfo.Status)
	}
	if r, _ := l.zones.Get("cache.lab.internal", "CNAME"); r.Values[0] != "source.lab.internal." {
		t.Fatalf("held change reached the zone: %v", r.Values)
	}
	l.srv.HoldChanges(false)
	got, err = l.r53.GetChange(ctx, &route53.GetChangeInput{Id: out.ChangeInfo.Id})
	must(t, err)
	if got.ChangeInfo.Status != types.ChangeStatusInsync {
		t.Fatalf("released change is %s", got.ChangeInfo.Status)
	}
	if r, _ := l.zones.Get("cache.lab.internal", "CNAME"); r.Values[0] != "target.lab.internal." {
		t.Fatalf("released change missing from the zone: %v", r.Values)
	}
}

func TestHostedZonesAndErrors(t *testing.T) {
	l := newLab(t, nil)
	must(t, l.zones.AddZone("Z0OTHER", "other.internal"))
	ctx := ctxT(t)
	zs, err := l.r53.ListHostedZones(ctx, &route53.ListHostedZonesInput{})
	must(t, err)
	if len(zs.HostedZones) != 2 || aws.ToString(zs.HostedZones[0].Id) != "/hostedzone/Z0LAB" || aws.ToString(zs.HostedZones[0].Name) != "lab.internal." {
		t.Fatalf("ListHostedZones = %+v", zs.HostedZones)
	}
	page, err := l.r53.ListHostedZones(ctx, &route53.ListHostedZonesInput{MaxItems: aws.Int32(1)})
	must(t, err)
	if !page.IsTruncated || aws.ToString(page.NextMarker) != "Z0OTHER" {
		t.Fatalf("first page of one: truncated %v next %q", page.IsTruncated, aws.ToString(page.NextMarker))
	}
	z, err := l.r53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String("Z0LAB")})
	must(t, err)
	if aws.ToInt64(z.HostedZone.ResourceRecordSetCount) != 3 {
		t.Fatalf("record count %d", aws.ToInt64(z.HostedZone.ResourceRecordSetCount))
	}
	all, err := l.r53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("Z0LAB")})
	must(t, err)
	var names []string
	for _, r := range all.ResourceRecordSets {
		names = append(names, aws.ToString(r.Name)+" "+string(r.Type)+" "+aws.ToString(r.ResourceRecords[0].Value))
	}
	want := "cache.lab.internal. CNAME source.lab.internal.|source.lab.internal. A 127.0.41.1|target.lab.internal. A 127.0.41.2"
	if strings.Join(names, "|") != want {
		t.Fatalf("records:\n%s\nwant\n%s", strings.Join(names, "|"), want)
	}
	two, err := l.r53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("Z0LAB"), MaxItems: aws.Int32(2)})
	must(t, err)
	if !two.IsTruncated || aws.ToString(two.NextRecordName) != "target.lab.internal." || two.NextRecordType != types.RRTypeA {
		t.Fatalf("page of two: truncated %v next %q %q", two.IsTruncated, aws.ToString(two.NextRecordName), two.NextRecordType)
	}

	_, err = l.r53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String("ZNOPE")})
	var nsz *types.NoSuchHostedZone
	if !errors.As(err, &nsz) {
		t.Fatalf("unknown zone: %v", err)
	}
	_, err = l.r53.GetChange(ctx, &route53.GetChangeInput{Id: aws.String("CNOPE")})
	var nsc *types.NoSuchChange
	if !errors.As(err, &nsc) {
		t.Fatalf("unknown change: %v", err)
	}
	_, err = l.change(ctx, types.Change{Action: types.ChangeActionUpsert, ResourceRecordSet: &types.ResourceRecordSet{
		Name: aws.String("w.lab.internal"), Type: types.RRTypeA, SetIdentifier: aws.String("blue"), Weight: aws.Int64(10),
		TTL: aws.Int64(30), ResourceRecords: []types.ResourceRecord{{Value: aws.String("127.0.41.9")}}}})
	var ii *types.InvalidInput
	if !errors.As(err, &ii) {
		t.Fatalf("weighted record: %v", err)
	}
	l.srv.Fail("GetChange", APIError{Status: 400, Code: "Throttling", Message: "Rate exceeded"})
	_, err = l.r53.GetChange(ctx, &route53.GetChangeInput{Id: aws.String("C0LAB000000001")})
	if err == nil || !strings.Contains(err.Error(), "Throttling") {
		t.Fatalf("injected GetChange fault: %v", err)
	}
}
