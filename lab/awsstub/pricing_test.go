package awsstub

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/pricing/types"
	"github.com/aws/smithy-go"
)

func term(field, value string) types.Filter {
	return types.Filter{Type: types.FilterTypeTermMatch, Field: aws.String(field), Value: aws.String(value)}
}

// hourly reads the on-demand price of a served item, as a client would.
func hourly(t *testing.T, item string) (string, string) {
	t.Helper()
	var it struct {
		Product struct {
			Attributes map[string]string `json:"attributes"`
		} `json:"product"`
		Terms struct {
			OnDemand map[string]struct {
				PriceDimensions map[string]struct {
					Unit  string            `json:"unit"`
					Price map[string]string `json:"pricePerUnit"`
				} `json:"priceDimensions"`
			} `json:"OnDemand"`
		} `json:"terms"`
	}
	must(t, json.Unmarshal([]byte(item), &it))
	for _, tm := range it.Terms.OnDemand {
		for _, d := range tm.PriceDimensions {
			return it.Product.Attributes["instanceType"], d.Price["USD"] + "/" + d.Unit
		}
	}
	t.Fatalf("no on-demand price in %s", item)
	return "", ""
}

func TestGetProductsFiltersAndPages(t *testing.T) {
	l := newLab(t, nil)
	pc := pricing.NewFromConfig(l.aws)
	ctx := ctxT(t)

	out, err := pc.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonElastiCache"), Filters: []types.Filter{
		term("regionCode", "us-east-1"), term("instanceType", "cache.r7g.4xlarge"), term("cacheEngine", "Redis")}})
	must(t, err)
	if len(out.PriceList) != 1 {
		t.Fatalf("cache.r7g.4xlarge Redis: %d items, want 1", len(out.PriceList))
	}
	if typ, price := hourly(t, out.PriceList[0]); typ != "cache.r7g.4xlarge" || price != "1.7470000000/Hrs" {
		t.Errorf("got %s at %s", typ, price)
	}

	// Linux, shared, in use: the RHEL and unused-reservation rows of the
	// same instance types are filtered out; ANY_OF takes two families.
	linux := []types.Filter{term("regionCode", "us-east-1"), term("operatingSystem", "Linux"), term("tenancy", "Shared"),
		term("preInstalledSw", "NA"), term("capacitystatus", "Used"),
		{Type: types.FilterTypeAnyOf, Field: aws.String("instanceFamily"), Value: aws.String("Memory optimized,General purpose")}}
	seen := map[string]string{}
	pages := pricing.NewGetProductsPaginator(pc, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), Filters: linux, MaxResults: aws.Int32(10)})
	n := 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		must(t, err)
		n++
		for _, item := range page.PriceList {
			typ, price := hourly(t, item)
			if _, dup := seen[typ]; dup {
				t.Fatalf("%s listed twice: the filters let a second variant through", typ)
			}
			seen[typ] = price
		}
	}
	if len(seen) != 28 || n != 3 {
		t.Errorf("%d instance types in %d pages, want 28 in 3", len(seen), n)
	}
	if seen["r7g.4xlarge"] != "0.8568000000/Hrs" {
		t.Errorf("r7g.4xlarge Linux: %s", seen["r7g.4xlarge"])
	}

	_, err = pc.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), NextToken: aws.String("forged")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidNextTokenException" {
		t.Errorf("forged NextToken: %v", err)
	}
}
