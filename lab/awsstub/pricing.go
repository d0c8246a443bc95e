package awsstub

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// priceList is a slice of the Price List API's GetProducts items for
// us-east-1 (ElastiCache nodes and serverless, EC2 Linux instances, EBS,
// intra-region data transfer), in the API's own item format. The figures
// are AWS's published on-demand prices, transcribed by hand: the API
// cannot be reached from here.
//
//go:embed pricelist/us-east-1.jsonl
var priceList []byte

// priceItem is one item: its JSON as served, and what filters match on.
type priceItem struct {
	raw     string
	service string
	fields  map[string]string // productFamily and every attribute
}

func loadPriceList(data []byte) ([]priceItem, error) {
	var items []priceItem
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var it struct {
			ServiceCode string `json:"serviceCode"`
			Product     struct {
				Family     string            `json:"productFamily"`
				Attributes map[string]string `json:"attributes"`
			} `json:"product"`
		}
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return nil, fmt.Errorf("price list line %d: %w", n, err)
		}
		fields := map[string]string{"productFamily": it.Product.Family}
		for k, v := range it.Product.Attributes {
			fields[k] = v
		}
		items = append(items, priceItem{raw: sc.Text(), service: it.ServiceCode, fields: fields})
	}
	return items, sc.Err()
}

type priceFilter struct {
	Type  string `json:"Type"`
	Field string `json:"Field"`
	Value string `json:"Value"`
}

// match applies one filter the way the API documents its types.
func (f priceFilter) match(it priceItem) (bool, error) {
	v, has := it.fields[f.Field]
	switch f.Type {
	case "TERM_MATCH", "EQUALS":
		return has && strings.EqualFold(v, f.Value), nil
	case "CONTAINS":
		return has && strings.Contains(strings.ToLower(v), strings.ToLower(f.Value)), nil
	case "ANY_OF", "NONE_OF":
		any := false
		for _, want := range strings.Split(f.Value, ",") {
			if has && strings.EqualFold(v, strings.TrimSpace(want)) {
				any = true
			}
		}
		return any == (f.Type == "ANY_OF"), nil
	}
	return false, fmt.Errorf("filter type %q is not one of TERM_MATCH, EQUALS, CONTAINS, ANY_OF, NONE_OF", f.Type)
}

// servePricing answers AWSPriceListService.GetProducts (JSON 1.1), paged.
func (s *Server) servePricing(w http.ResponseWriter, r *http.Request) {
	if op := r.Header.Get("X-Amz-Target"); op != "AWSPriceListService.GetProducts" {
		writeJSONError(w, http.StatusBadRequest, "InvalidParameterException", fmt.Sprintf("the lab's stand-in serves only GetProducts of the Price List API, not %q", op))
		return
	}
	var in struct {
		ServiceCode string        `json:"ServiceCode"`
		Filters     []priceFilter `json:"Filters"`
		MaxResults  int           `json:"MaxResults"`
		NextToken   string        `json:"NextToken"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSONError(w, http.StatusBadRequest, "InvalidParameterException", "the request body is not JSON: "+err.Error())
		return
	}
	if in.ServiceCode == "" {
		writeJSONError(w, http.StatusBadRequest, "InvalidParameterException", "ServiceCode is required")
		return
	}
	var hits []string
	for _, it := range s.prices {
		if it.service != in.ServiceCode {
			continue
		}
		keep := true
		for _, f := range in.Filters {
			ok, err := f.match(it)
			if err != nil {
				writeJSONError(w, http.StatusBadRequest, "InvalidParameterException", err.Error())
				return
			}
			keep = keep && ok
		}
		if keep {
			hits = append(hits, it.raw)
		}
	}
	from, err := strconv.Atoi(strings.TrimPrefix(in.NextToken, "page-"))
	if in.NextToken == "" {
		from, err = 0, nil
	}
	if err != nil || from < 0 || from > len(hits) {
		writeJSONError(w, http.StatusBadRequest, "InvalidNextTokenException", "NextToken "+strconv.Quote(in.NextToken)+" was not issued by this server")
		return
	}
	size := in.MaxResults
	if size <= 0 || size > 100 {
		size = 100
	}
	out := struct {
		FormatVersion string   `json:"FormatVersion"`
		PriceList     []string `json:"PriceList"`
		NextToken     string   `json:"NextToken,omitempty"`
	}{FormatVersion: "aws_v1", PriceList: hits[from:min(from+size, len(hits))]}
	if from+size < len(hits) {
		out.NextToken = "page-" + strconv.Itoa(from+size)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
