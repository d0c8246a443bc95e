package awsstub

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

const cloudWatchPrefix = "/service/GraniteServiceVersion20100801/operation/"

// cloudWatch keeps recent INFO samples so rate metrics cover the query's
// period.
type cloudWatch struct {
	mu      sync.Mutex
	samples []sample // oldest first, the last 15 minutes
}

// window pairs cur with the newest kept sample at least one period older,
// else the oldest kept sample, else the server's start.
func (c *cloudWatch) window(cur sample, period time.Duration) window {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := window{cur: cur, period: period}
	for i := len(c.samples) - 1; i >= 0; i-- {
		if !c.samples[i].at.After(cur.at.Add(-period)) {
			w.base = &c.samples[i]
			return w
		}
	}
	if len(c.samples) > 0 {
		w.base = &c.samples[0]
	}
	return w
}

// add keeps a sample, dropping those older than 15 minutes.
func (c *cloudWatch) add(cur sample) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cut := cur.at.Add(-15 * time.Minute)
	for len(c.samples) > 0 && c.samples[0].at.Before(cut) {
		c.samples = c.samples[1:]
	}
	c.samples = append(c.samples, cur)
}

var queryQueryCodes = map[string]string{
	"InvalidParameterValueException":       "InvalidParameterValue",
	"MissingRequiredParameterException":    "MissingParameter",
	"InvalidParameterCombinationException": "InvalidParameterCombination",
	"InternalServiceFault":                 "InternalServiceError",
}

func writeCBORError(w http.ResponseWriter, e APIError) {
	if q, ok := queryQueryCodes[e.Code]; ok {
		fault := "Sender"
		if e.status() >= 500 {
			fault = "Receiver"
		}
		w.Header().Set("X-Amzn-Query-Error", q+";"+fault)
	}
	// Most CloudWatch errors model the member as "message", a few (such as
	// InternalServiceFault) as "Message": send both.
	writeCBOR(w, e.status(), cbor.Map{"__type": cbor.String(e.Code), "message": cbor.String(e.Message), "Message": cbor.String(e.Message)})
}

func writeCBOR(w http.ResponseWriter, status int, v cbor.Value) {
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.WriteHeader(status)
	_, _ = w.Write(cbor.Encode(v))
}

func cwInvalid(format string, args ...any) APIError {
	return APIError{Code: "InvalidParameterValueException", Message: fmt.Sprintf(format, args...)}
}

func (s *Server) serveCloudWatch(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.URL.Path, cloudWatchPrefix)
	if op != "GetMetricData" || r.Method != http.MethodPost {
		writeCBORError(w, APIError{Status: 404, Code: "UnknownOperationException",
			Message: "The lab's CloudWatch stand-in serves only GetMetricData, not " + op})
		return
	}
	if e, ok := s.faults.take(op); ok {
		writeCBORError(w, e)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeCBORError(w, cwInvalid("read request body: %v", err))
		return
	}
	out, err := s.getMetricData(r.Context(), body)
	if err != nil {
		writeCBORError(w, asAPIError(err))
		return
	}
	writeCBOR(w, http.StatusOK, out)
}

// metricQuery is one MetricDataQueries entry with a MetricStat.
type metricQuery struct {
	id, label, namespace, name, stat string
	dims                             map[string]string
	period                           time.Duration
	returnData                       bool
}

var queryID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

func decodeQueries(body []byte) (qs []metricQuery, start, end time.Time, err error) {
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, start, end, cwInvalid("request body is not CBOR: %v", err)
	}
	m, _ := v.(cbor.Map)
	if start, err = cbor.AsTime(m["StartTime"]); err != nil {
		return nil, start, end, APIError{Code: "MissingRequiredParameterException", Message: "The parameter StartTime is required."}
	}
	if end, err = cbor.AsTime(m["EndTime"]); err != nil {
		return nil, start, end, APIError{Code: "MissingRequiredParameterException", Message: "The parameter EndTime is required."}
	}
	if !start.Before(end) {
		return nil, start, end, cwInvalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	list, _ := m["MetricDataQueries"].(cbor.List)
	if len(list) == 0 || len(list) > 500 {
		return nil, start, end, cwInvalid("MetricDataQueries must hold 1 to 500 queries, not %d.", len(list))
	}
	for i, item := range list {
		q, err := decodeQuery(item)
		if err != nil {
			return nil, start, end, cwInvalid("MetricDataQueries.member.%d: %s", i+1, err.Error())
		}
		qs = append(qs, q)
	}
	return qs, start, end, nil
}

func decodeQuery(item cbor.Value) (metricQuery, error) {
	m, _ := item.(cbor.Map)
	str := func(mm cbor.Map, k string) string { s, _ := mm[k].(cbor.String); return string(s) }
	q := metricQuery{id: str(m, "Id"), label: str(m, "Label"), dims: map[string]string{}, returnData: true}
	if b, ok := m["ReturnData"].(cbor.Bool); ok {
		q.returnData = bool(b)
	}
	if !queryID.MatchString(q.id) {
		return q, fmt.Errorf("Id %q must start with a lower-case letter and hold only letters, digits and '_'", q.id)
	}
	if str(m, "Expression") != "" {
		return q, fmt.Errorf("metric math expressions are not supported by the lab's CloudWatch stand-in: use MetricStat")
	}
	ms, ok := m["MetricStat"].(cbor.Map)
	if !ok {
		return q, fmt.Errorf("MetricStat is required")
	}
	metric, _ := ms["Metric"].(cbor.Map)
	q.namespace, q.name, q.stat = str(metric, "Namespace"), str(metric, "MetricName"), str(ms, "Stat")
	dims, _ := metric["Dimensions"].(cbor.List)
	for _, d := range dims {
		dm, _ := d.(cbor.Map)
		q.dims[str(dm, "Name")] = str(dm, "Value")
	}
	period, err := cbor.AsInt64(ms["Period"])
	if err != nil || period < 1 {
		return q, fmt.Errorf("Period must be a positive number of seconds")
	}
	q.period = time.Duration(period) * time.Second
	if q.name == "" || q.stat == "" {
		return q, fmt.Errorf("MetricStat needs Metric.MetricName and Stat")
	}
	if q.label == "" {
		q.label = q.name
	}
	return q, nil
}

// ours reports whether a query addresses the source: namespace
// AWS/ElastiCache with the primary's CacheClusterId (optionally its
// CacheNodeId) or the ReplicationGroupId. Other clusters have no data.
func (s *Server) ours(q metricQuery) bool {
	if q.namespace != "AWS/ElastiCache" {
		return false
	}
	if s.cfg.Serverless != nil {
		// A serverless cache's metrics have the one dimension clusterId.
		return len(q.dims) == 1 && q.dims["clusterId"] == s.cfg.Serverless.Name
	}
	switch len(q.dims) {
	case 1:
		return q.dims["CacheClusterId"] == s.primaryID() || q.dims["ReplicationGroupId"] == s.cfg.ReplicationGroupID
	case 2:
		return q.dims["CacheClusterId"] == s.primaryID() && q.dims["CacheNodeId"] == cacheNodeID
	}
	return false
}

// metric computes a metric of the source's kind over the window.
func (s *Server) metric(name string, w window) (float64, bool) {
	if sv := s.cfg.Serverless; sv != nil {
		return serverlessMetric(name, w, sv.MaxECPU)
	}
	return metric(name, w)
}

func (s *Server) getMetricData(ctx context.Context, body []byte) (cbor.Value, error) {
	qs, start, end, err := decodeQueries(body)
	if err != nil {
		return nil, err
	}
	var cur *sample
	results := cbor.List{}
	for _, q := range qs {
		if !q.returnData {
			continue
		}
		res := cbor.Map{"Id": cbor.String(q.id), "Label": cbor.String(q.label), "StatusCode": cbor.String("Complete"),
			"Timestamps": cbor.List{}, "Values": cbor.List{}}
		results = append(results, res)
		// One datapoint, stamped at the start of the current period.
		now := s.cfg.now()
		ts := now.Truncate(q.period)
		if ts.Before(start) {
			ts = start
		}
		if !s.ours(q) || !ts.Before(end) || now.Before(start) {
			continue
		}
		if cur == nil {
			ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
			text, err := s.cfg.Info(ictx)
			cancel()
			if err != nil {
				return nil, APIError{Status: 500, Code: "InternalServiceFault", Message: "read INFO from the lab source: " + err.Error()}
			}
			smp := parseInfo(now, text)
			cur = &smp
		}
		v, ok := s.metric(q.name, s.cw.window(*cur, q.period))
		if !ok {
			continue
		}
		if q.stat == "SampleCount" {
			v = 1
		}
		res["Timestamps"] = cbor.List{&cbor.Tag{ID: 1, Value: cbor.Float64(float64(ts.UnixMilli()) / 1e3)}}
		res["Values"] = cbor.List{cbor.Float64(v)}
	}
	if cur != nil {
		s.cw.add(*cur)
	}
	return cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}}, nil
}
