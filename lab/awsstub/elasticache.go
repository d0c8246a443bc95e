package awsstub

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

const ecXMLNS = "http://elasticache.amazonaws.com/doc/2015-02-02/"

// elastiCache holds the mutable ElastiCache state: the snapshots.
type elastiCache struct {
	mu         sync.Mutex
	created    time.Time // the replication group's (or serverless cache's) creation time
	snapshots  []*snapshot
	serverless []*snapshot // the serverless cache's snapshots, a namespace of their own
	nextFile   int
}

func (e *elastiCache) init() {
	e.created = time.Now().UTC().Add(-30 * 24 * time.Hour).Truncate(time.Second)
}

// ecHandler answers one awsquery action with a result element or an error.
type ecHandler func(s *Server, f url.Values) (any, error)

var ecActions = map[string]ecHandler{
	"DescribeReplicationGroups": (*Server).describeReplicationGroups,
	"DescribeCacheClusters":     (*Server).describeCacheClusters,
	"DescribeCacheParameters":   (*Server).describeCacheParameters,
	"CreateSnapshot":            (*Server).createSnapshot,
	"DescribeSnapshots":         (*Server).describeSnapshots,
	"CopySnapshot":              (*Server).copySnapshot,
	"DescribeUserGroups":        (*Server).describeUserGroups,
	"DescribeUsers":             (*Server).describeUsers,

	"DescribeServerlessCaches":         (*Server).describeServerlessCaches,
	"CreateServerlessCacheSnapshot":    (*Server).createServerlessSnapshot,
	"DescribeServerlessCacheSnapshots": (*Server).describeServerlessSnapshots,
	"ExportServerlessCacheSnapshot":    (*Server).exportServerlessSnapshot,
}

func (s *Server) serveElastiCache(w http.ResponseWriter, r *http.Request) {
	id := s.requestID()
	if err := r.ParseForm(); err != nil {
		writeXMLError(w, id, ecXMLNS, APIError{Code: "MalformedQueryString", Message: err.Error()})
		return
	}
	action := r.Form.Get("Action")
	h, ok := ecActions[action]
	if !ok {
		writeXMLError(w, id, ecXMLNS, APIError{Code: "InvalidAction",
			Message: fmt.Sprintf("The action %q is not served by the lab's ElastiCache stand-in.", action)})
		return
	}
	if v := r.Form.Get("Version"); v != "2015-02-02" {
		writeXMLError(w, id, ecXMLNS, APIError{Code: "InvalidParameterValue",
			Message: fmt.Sprintf("Version %q is not 2015-02-02.", v)})
		return
	}
	if e, ok := s.faults.take(action); ok {
		writeXMLError(w, id, ecXMLNS, e)
		return
	}
	result, err := h(s, r.Form)
	if err != nil {
		writeXMLError(w, id, ecXMLNS, asAPIError(err))
		return
	}
	writeQueryResult(w, id, action, result)
}

// writeQueryResult writes <ActionResponse><ActionResult>...</ActionResult>
// <ResponseMetadata>...</ResponseMetadata></ActionResponse>.
func writeQueryResult(w http.ResponseWriter, requestID, action string, result any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	root := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ecXMLNS}}}
	meta := struct {
		RequestID string `xml:"RequestId"`
	}{requestID}
	err := errors.Join(
		enc.EncodeToken(root),
		enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}),
		enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}),
		enc.EncodeToken(root.End()),
		enc.Flush(),
	)
	if err != nil {
		writeXMLError(w, requestID, ecXMLNS, APIError{Status: 500, Code: "InternalFailure", Message: "encode answer: " + err.Error()})
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(buf.Bytes())
}

// asAPIError passes an APIError through and reports anything else as an
// internal failure.
func asAPIError(err error) APIError {
	var e APIError
	if errors.As(err, &e) {
		return e
	}
	return APIError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: err.Error()}
}

func invalidValue(format string, args ...any) APIError {
	return APIError{Code: "InvalidParameterValue", Message: fmt.Sprintf(format, args...)}
}

func missing(name string) APIError {
	return APIError{Code: "MissingParameter", Message: fmt.Sprintf("The request must contain the parameter %s.", name)}
}

// page applies Marker / MaxRecords paging (the marker is an offset).
func page[T any](items []T, f url.Values, def, lo, hi int) ([]T, string, error) {
	return pageBy(items, f, "MaxRecords", "Marker", def, lo, hi)
}

// pageBy pages with the given size and token parameters: the serverless
// calls spell them MaxResults and NextToken.
func pageBy[T any](items []T, f url.Values, sizeParam, tokenParam string, def, lo, hi int) ([]T, string, error) {
	limit := def
	if v := f.Get(sizeParam); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return nil, "", invalidValue("%s %q must be between %d and %d.", sizeParam, v, lo, hi)
		}
		limit = n
	}
	start := 0
	if m := f.Get(tokenParam); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", invalidValue("%s %q is not one this service returned.", tokenParam, m)
		}
		start = n
	}
	end := min(start+limit, len(items))
	marker := ""
	if end < len(items) {
		marker = strconv.Itoa(end)
	}
	return items[start:end], marker, nil
}
