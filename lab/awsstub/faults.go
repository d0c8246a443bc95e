package awsstub

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"sync"
)

// APIError is an AWS error answer: the HTTP status and the error code the
// SDK maps to a typed error (e.g. "SnapshotNotFoundFault", "NoSuchKey",
// "InvalidChangeBatch").
type APIError struct {
	Status  int // HTTP status; 400 when zero
	Code    string
	Message string
}

func (e APIError) Error() string { return e.Code + ": " + e.Message }

func (e APIError) status() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

// faults queues injected errors per operation name.
type faults struct {
	mu     sync.Mutex
	queued map[string][]APIError
}

// Fail makes the next call of op answer err instead of doing its work; call
// it n times to fail the next n calls. op is the API operation name as the
// SDK spells it: an ElastiCache action ("CopySnapshot"), a Route53 operation
// ("GetChange"), "GetMetricData", or an S3 operation ("GetObject",
// "UploadPart", "GetBucketLocation", ...). To keep Route53 changes PENDING
// instead, use HoldChanges.
func (s *Server) Fail(op string, err APIError) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if s.faults.queued == nil {
		s.faults.queued = map[string][]APIError{}
	}
	s.faults.queued[op] = append(s.faults.queued[op], err)
}

// take returns the next injected error for op, if any.
func (f *faults) take(op string) (APIError, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.queued[op]
	if len(q) == 0 {
		return APIError{}, false
	}
	f.queued[op] = q[1:]
	return q[0], true
}

// writeXMLError writes the <ErrorResponse> envelope that awsquery and
// rest-xml clients decode; xmlns may be empty.
func writeXMLError(w http.ResponseWriter, requestID, xmlns string, e APIError) {
	typ := "Sender"
	if e.status() >= 500 {
		typ = "Receiver"
	}
	body := struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr,omitempty"`
		Type      string   `xml:"Error>Type"`
		Code      string   `xml:"Error>Code"`
		Message   string   `xml:"Error>Message"`
		RequestID string   `xml:"RequestId"`
	}{Xmlns: xmlns, Type: typ, Code: e.Code, Message: e.Message, RequestID: requestID}
	writeXML(w, e.status(), body)
}

// writeXML writes v as an XML document with status.
func writeXML(w http.ResponseWriter, status int, v any) {
	writeXMLAs(w, status, "", "", v)
}

// writeXMLAs writes v as an XML document whose root element is name with
// xmlns; an empty name keeps v's own element name.
func writeXMLAs(w http.ResponseWriter, status int, name, xmlns string, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	var err error
	if name == "" {
		err = enc.Encode(v)
	} else {
		start := xml.StartElement{Name: xml.Name{Local: name}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlns}}}
		err = enc.EncodeElement(v, start)
	}
	if err != nil {
		http.Error(w, "awsstub: encode XML answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
