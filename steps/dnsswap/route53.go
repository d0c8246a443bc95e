package dnsswap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// callTimeout bounds each Route53 API call.
const callTimeout = 20 * time.Second

// cname is one CNAME record set as Route53 holds it.
type cname struct {
	Name  string
	Value string
	TTL   int64
}

// hostedZone talks to the hosted zone that holds dns.record.
type hostedZone struct {
	api *route53.Client
	id  string
}

func newZone(ctx context.Context, cfg *runbook.Config) (*hostedZone, error) {
	if cfg.DNS.Record == "" || cfg.DNS.HostedZoneID == "" {
		return nil, errors.New("no DNS swap is configured: set dns.hosted_zone_id, dns.record, dns.source_value and dns.target_value in the config")
	}
	ac, err := probes.AWSConfig(ctx, cfg.AWS)
	if err != nil {
		return nil, err
	}
	api := route53.NewFromConfig(ac, func(o *route53.Options) { o.BaseEndpoint = probes.AWSEndpoint(cfg.AWS) })
	return &hostedZone{api: api, id: cfg.DNS.HostedZoneID}, nil
}

// readRecord opens the hosted zone and reads dns.record as it is now.
func readRecord(ctx context.Context, cfg *runbook.Config) (*hostedZone, cname, error) {
	z, err := newZone(ctx, cfg)
	if err != nil {
		return nil, cname{}, err
	}
	cur, err := z.read(ctx, cfg.DNS.Record)
	return z, cur, err
}

// read returns the CNAME named name; a missing record or one of another
// type is an error that says so.
func (z *hostedZone) read(ctx context.Context, name string) (cname, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := z.api.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{
		HostedZoneId:    aws.String(z.id),
		StartRecordName: aws.String(name),
		MaxItems:        aws.Int32(10),
	})
	if err != nil {
		return cname{}, awsErr("ListResourceRecordSets", err)
	}
	var other []string
	for _, rr := range out.ResourceRecordSets {
		if !sameName(aws.ToString(rr.Name), name) {
			break
		}
		if rr.Type != types.RRTypeCname {
			other = append(other, string(rr.Type))
			continue
		}
		if len(rr.ResourceRecords) != 1 {
			return cname{}, fmt.Errorf("dns.record %s has %d values in hosted zone %s; a CNAME has exactly one", name, len(rr.ResourceRecords), z.id)
		}
		return cname{Name: aws.ToString(rr.Name), Value: aws.ToString(rr.ResourceRecords[0].Value), TTL: aws.ToInt64(rr.TTL)}, nil
	}
	if len(other) > 0 {
		return cname{}, fmt.Errorf("dns.record %s is a %s record in hosted zone %s, not a CNAME; clients must reach the cache through a CNAME to swap it", name, strings.Join(other, "/"), z.id)
	}
	return cname{}, fmt.Errorf("dns.record %s: no such record in hosted zone %s; create the CNAME pointing at dns.source_value first, or fix dns.record / dns.hosted_zone_id", name, z.id)
}

// replace swaps old for a record with value and ttl in one change batch:
// DELETE of the exact record read plus CREATE of the new one. Route53
// applies a batch atomically and refuses a DELETE that no longer matches,
// so the change cannot overwrite an edit made since old was read (a plain
// UPSERT would).
func (z *hostedZone) replace(ctx context.Context, old cname, value string, ttl int64, comment string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	set := func(v string, t int64) *types.ResourceRecordSet {
		return &types.ResourceRecordSet{Name: aws.String(old.Name), Type: types.RRTypeCname, TTL: aws.Int64(t),
			ResourceRecords: []types.ResourceRecord{{Value: aws.String(v)}}}
	}
	out, err := z.api.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(z.id),
		ChangeBatch: &types.ChangeBatch{Comment: aws.String(comment), Changes: []types.Change{
			{Action: types.ChangeActionDelete, ResourceRecordSet: set(old.Value, old.TTL)},
			{Action: types.ChangeActionCreate, ResourceRecordSet: set(value, ttl)},
		}},
	})
	var invalid *types.InvalidChangeBatch
	if errors.As(err, &invalid) {
		return "", fmt.Errorf("Route53 refused the change: %s changed since it was read (%s); read it again and re-run", old.Name, firstLine(invalid.ErrorMessage()))
	}
	if err != nil {
		return "", awsErr("ChangeResourceRecordSets", err)
	}
	return aws.ToString(out.ChangeInfo.Id), nil
}

// waitInsync polls GetChange every poll until the change is INSYNC, for at
// most limit, reporting the wait as progress.
func (z *hostedZone) waitInsync(ctx context.Context, id string, limit, poll time.Duration, report func(runbook.Progress)) error {
	start := time.Now()
	deadline := start.Add(limit)
	for {
		status, err := z.status(ctx, id)
		if err != nil {
			return err
		}
		if status == types.ChangeStatusInsync {
			return nil
		}
		waited := time.Since(start)
		report(runbook.Progress{Done: int64(waited.Seconds()), Total: int64(limit.Seconds()), Unit: "s",
			Message: fmt.Sprintf("Route53 change %s is %s", id, status)})
		if time.Now().Add(poll).After(deadline) {
			return fmt.Errorf("Route53 change %s is still %s after %s: the record was changed but Route53 has not confirmed it reached its DNS servers; check the change in Route53, then verify this step (or roll back)", id, status, limit)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped waiting for Route53 change %s (%s): %w", id, status, ctx.Err())
		case <-time.After(poll):
		}
	}
}

func (z *hostedZone) status(ctx context.Context, id string) (types.ChangeStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := z.api.GetChange(ctx, &route53.GetChangeInput{Id: aws.String(id)})
	if err != nil {
		return "", awsErr("GetChange", err)
	}
	return out.ChangeInfo.Status, nil
}

// awsErr is one line naming the call and what AWS said.
func awsErr(op string, err error) error { return probes.AWSCallError("Route53", op, err, callTimeout) }

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
