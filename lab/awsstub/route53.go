package awsstub

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cutover/cutover/lab/zone"
)

const (
	route53Prefix = "/2013-04-01/"
	r53XMLNS      = "https://route53.amazonaws.com/doc/2013-04-01/"
)

type xmlHostedZone struct {
	ID                     string `xml:"Id"`
	Name                   string `xml:"Name"`
	CallerReference        string `xml:"CallerReference"`
	PrivateZone            bool   `xml:"Config>PrivateZone"`
	ResourceRecordSetCount int    `xml:"ResourceRecordSetCount"`
}

type xmlRR struct {
	Value string `xml:"Value"`
}

// xmlRRSet is a ResourceRecordSet. The routing-policy and alias fields are
// decoded only to refuse them: the stand-in serves simple records.
type xmlRRSet struct {
	Name            string  `xml:"Name"`
	Type            string  `xml:"Type"`
	TTL             *int64  `xml:"TTL"`
	ResourceRecords []xmlRR `xml:"ResourceRecords>ResourceRecord"`

	SetIdentifier           string    `xml:"SetIdentifier,omitempty"`
	AliasTarget             *struct{} `xml:"AliasTarget,omitempty"`
	Weight                  *int64    `xml:"Weight,omitempty"`
	Region                  string    `xml:"Region,omitempty"`
	Failover                string    `xml:"Failover,omitempty"`
	GeoLocation             *struct{} `xml:"GeoLocation,omitempty"`
	GeoProximityLocation    *struct{} `xml:"GeoProximityLocation,omitempty"`
	CidrRoutingConfig       *struct{} `xml:"CidrRoutingConfig,omitempty"`
	MultiValueAnswer        *bool     `xml:"MultiValueAnswer,omitempty"`
	HealthCheckID           string    `xml:"HealthCheckId,omitempty"`
	TrafficPolicyInstanceID string    `xml:"TrafficPolicyInstanceId,omitempty"`
}

func (x xmlRRSet) routingPolicy() bool {
	return x.SetIdentifier != "" || x.AliasTarget != nil || x.Weight != nil || x.Region != "" || x.Failover != "" ||
		x.GeoLocation != nil || x.GeoProximityLocation != nil || x.CidrRoutingConfig != nil ||
		x.MultiValueAnswer != nil || x.HealthCheckID != "" || x.TrafficPolicyInstanceID != ""
}

func toXMLRRSet(r zone.Record) xmlRRSet {
	ttl := r.TTL
	x := xmlRRSet{Name: r.Name, Type: r.Type, TTL: &ttl}
	for _, v := range r.Values {
		x.ResourceRecords = append(x.ResourceRecords, xmlRR{v})
	}
	return x
}

type xmlChangeInfo struct {
	ID          string    `xml:"Id"`
	Status      string    `xml:"Status"`
	SubmittedAt time.Time `xml:"SubmittedAt"`
	Comment     string    `xml:"Comment,omitempty"`
}

// writeR53 writes <NameResponse xmlns=...> holding body's fields.
func writeR53(w http.ResponseWriter, name string, body any) {
	writeXMLAs(w, http.StatusOK, name+"Response", r53XMLNS, body)
}

func noSuchZone(id string) APIError {
	return APIError{Status: 404, Code: "NoSuchHostedZone", Message: "No hosted zone found with ID: " + id}
}

func invalidInput(format string, args ...any) APIError {
	return APIError{Code: "InvalidInput", Message: fmt.Sprintf(format, args...)}
}

func (s *Server) serveRoute53(w http.ResponseWriter, r *http.Request) {
	s.commitDue()
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, route53Prefix), "/"), "/")
	op := ""
	switch {
	case r.Method == "GET" && len(parts) == 1 && parts[0] == "hostedzone":
		op = "ListHostedZones"
	case r.Method == "GET" && len(parts) == 2 && parts[0] == "hostedzone":
		op = "GetHostedZone"
	case len(parts) == 3 && parts[0] == "hostedzone" && parts[2] == "rrset":
		op = map[string]string{"GET": "ListResourceRecordSets", "POST": "ChangeResourceRecordSets"}[r.Method]
	case r.Method == "GET" && len(parts) == 2 && parts[0] == "change":
		op = "GetChange"
	}
	id := s.requestID()
	if op == "" {
		writeXMLError(w, id, r53XMLNS, APIError{Status: 404, Code: "UnknownOperationException",
			Message: "The lab's Route53 stand-in does not serve " + r.Method + " " + r.URL.Path})
		return
	}
	if e, ok := s.faults.take(op); ok {
		writeXMLError(w, id, r53XMLNS, e)
		return
	}
	var err error
	switch op {
	case "ListHostedZones":
		err = s.listHostedZones(w, r)
	case "GetHostedZone":
		err = s.getHostedZone(w, parts[1])
	case "ListResourceRecordSets":
		err = s.listRecordSets(w, r, parts[1])
	case "ChangeResourceRecordSets":
		err = s.changeRecordSets(w, r, parts[1])
	case "GetChange":
		err = s.getChange(w, parts[1])
	}
	if err != nil {
		writeXMLError(w, id, r53XMLNS, asAPIError(err))
	}
}

func (s *Server) hostedZone(z zone.Zone) xmlHostedZone {
	return xmlHostedZone{ID: "/hostedzone/" + z.ID, Name: z.Name, CallerReference: "awsstub-" + z.ID,
		ResourceRecordSetCount: len(s.desiredRecords(z.ID))}
}

func maxItems(r *http.Request, def int) (int, error) {
	v := r.URL.Query().Get("maxitems")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, invalidInput("maxitems %q is not a positive number", v)
	}
	return min(n, def), nil
}

func (s *Server) listHostedZones(w http.ResponseWriter, r *http.Request) error {
	limit, err := maxItems(r, 100)
	if err != nil {
		return err
	}
	zones := s.cfg.Zones.Zones()
	if m := r.URL.Query().Get("marker"); m != "" {
		i := slices.IndexFunc(zones, func(z zone.Zone) bool { return z.ID == m })
		if i < 0 {
			return invalidInput("marker %q is not a hosted zone ID", m)
		}
		zones = zones[i:]
	}
	out := struct {
		HostedZones []xmlHostedZone `xml:"HostedZones>HostedZone"`
		IsTruncated bool            `xml:"IsTruncated"`
		NextMarker  string          `xml:"NextMarker,omitempty"`
		MaxItems    int             `xml:"MaxItems"`
	}{HostedZones: []xmlHostedZone{}, MaxItems: limit}
	for i, z := range zones {
		if i == limit {
			out.IsTruncated, out.NextMarker = true, z.ID
			break
		}
		out.HostedZones = append(out.HostedZones, s.hostedZone(z))
	}
	writeR53(w, "ListHostedZones", out)
	return nil
}

func (s *Server) getHostedZone(w http.ResponseWriter, id string) error {
	z, ok := s.cfg.Zones.Zone(id)
	if !ok {
		return noSuchZone(id)
	}
	writeR53(w, "GetHostedZone", struct {
		HostedZone xmlHostedZone `xml:"HostedZone"`
	}{s.hostedZone(z)})
	return nil
}

// rrsetCompare is Route53's listing order: names compared label by label from
// the right, then type.
func rrsetCompare(aName, aType, bName, bType string) int {
	rev := func(n string) []string {
		l := strings.Split(strings.TrimSuffix(n, "."), ".")
		slices.Reverse(l)
		return l
	}
	if c := slices.Compare(rev(aName), rev(bName)); c != 0 {
		return c
	}
	return strings.Compare(aType, bType)
}

func (s *Server) listRecordSets(w http.ResponseWriter, r *http.Request, id string) error {
	if _, ok := s.cfg.Zones.Zone(id); !ok {
		return noSuchZone(id)
	}
	limit, err := maxItems(r, 300)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	startName, startType := q.Get("name"), strings.ToUpper(q.Get("type"))
	if startType != "" && startName == "" {
		return invalidInput("The input is not valid: type requires name")
	}
	if startName != "" {
		if startName, err = zone.Canonical(startName); err != nil {
			return invalidInput("name: %v", err)
		}
	}
	records := s.desiredRecords(id)
	slices.SortFunc(records, func(a, b zone.Record) int { return rrsetCompare(a.Name, a.Type, b.Name, b.Type) })
	out := struct {
		ResourceRecordSets []xmlRRSet `xml:"ResourceRecordSets>ResourceRecordSet"`
		IsTruncated        bool       `xml:"IsTruncated"`
		NextRecordName     string     `xml:"NextRecordName,omitempty"`
		NextRecordType     string     `xml:"NextRecordType,omitempty"`
		MaxItems           int        `xml:"MaxItems"`
	}{ResourceRecordSets: []xmlRRSet{}, MaxItems: limit}
	for _, rec := range records {
		if startName != "" && rrsetCompare(rec.Name, rec.Type, startName, startType) < 0 {
			continue
		}
		if len(out.ResourceRecordSets) == limit {
			out.IsTruncated, out.NextRecordName, out.NextRecordType = true, rec.Name, rec.Type
			break
		}
		out.ResourceRecordSets = append(out.ResourceRecordSets, toXMLRRSet(rec))
	}
	writeR53(w, "ListResourceRecordSets", out)
	return nil
}

func (s *Server) changeRecordSets(w http.ResponseWriter, r *http.Request, id string) error {
	z, ok := s.cfg.Zones.Zone(id)
	if !ok {
		return noSuchZone(id)
	}
	var req struct {
		Comment string `xml:"ChangeBatch>Comment"`
		Changes []struct {
			Action string   `xml:"Action"`
			RRSet  xmlRRSet `xml:"ResourceRecordSet"`
		} `xml:"ChangeBatch>Changes>Change"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return invalidInput("read request body: %v", err)
	}
	if err := xml.Unmarshal(body, &req); err != nil {
		return invalidInput("Invalid XML: %v", err)
	}
	if len(req.Changes) == 0 {
		return invalidInput("The ChangeBatch has no changes: give at least one Change")
	}
	batch := make([]batchChange, len(req.Changes))
	for i, c := range req.Changes {
		batch[i] = batchChange{action: c.Action, rrset: c.RRSet}
	}
	info, err := s.submit(z, req.Comment, batch)
	if err != nil {
		return err
	}
	writeR53(w, "ChangeResourceRecordSets", struct {
		ChangeInfo xmlChangeInfo `xml:"ChangeInfo"`
	}{info})
	return nil
}

func (s *Server) getChange(w http.ResponseWriter, id string) error {
	info, ok := s.changeInfo(id)
	if !ok {
		return APIError{Status: 404, Code: "NoSuchChange", Message: "A change with the specified change ID does not exist: " + id}
	}
	writeR53(w, "GetChange", struct {
		ChangeInfo xmlChangeInfo `xml:"ChangeInfo"`
	}{info})
	return nil
}
