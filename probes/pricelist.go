package probes

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	prtypes "github.com/aws/aws-sdk-go-v2/service/pricing/types"

	"github.com/cutover/cutover/cost"
	"github.com/cutover/cutover/runbook"
)

// priceListRegion is where the Price List API answers for every region;
// the region priced is a filter.
const priceListRegion = "us-east-1"

// PriceList reads on-demand list prices of one region from the AWS Price
// List API (GetProducts).
type PriceList struct {
	client *pricing.Client
	region string
}

// NewPriceList prepares a Price List client for the config's region.
func NewPriceList(awsCfg aws.Config, c runbook.AWS) *PriceList {
	return &PriceList{region: awsCfg.Region, client: pricing.NewFromConfig(awsCfg, func(o *pricing.Options) {
		o.Region = priceListRegion
		o.BaseEndpoint = AWSEndpoint(c)
	})}
}

// priceItem is the part of a price list item cutover reads.
type priceItem struct {
	Product struct {
		Attributes map[string]string `json:"attributes"`
	} `json:"product"`
	Terms struct {
		OnDemand map[string]struct {
			PriceDimensions map[string]struct {
				Unit       string            `json:"unit"`
				BeginRange string            `json:"beginRange"`
				Price      map[string]string `json:"pricePerUnit"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
}

// price is the on-demand USD price of the first tier.
func (it priceItem) price() (float64, error) {
	for _, t := range it.Terms.OnDemand {
		for _, d := range t.PriceDimensions {
			if d.BeginRange == "" || d.BeginRange == "0" {
				return strconv.ParseFloat(d.Price["USD"], 64)
			}
		}
	}
	return 0, fmt.Errorf("no on-demand USD price")
}

// memory reads "13.07 GiB".
func (it priceItem) memory() (float64, error) {
	m := it.Product.Attributes["memory"]
	return strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(m), " GiB"), 64)
}

func term(field, value string) prtypes.Filter {
	return prtypes.Filter{Type: prtypes.FilterTypeTermMatch, Field: aws.String(field), Value: aws.String(value)}
}

// products runs a paged GetProducts; what names the query in errors.
func (p *PriceList) products(ctx context.Context, service, what string, filters ...prtypes.Filter) ([]priceItem, error) {
	ctx, cancel := context.WithTimeout(ctx, AWSTimeout)
	defer cancel()
	pages := pricing.NewGetProductsPaginator(p.client, &pricing.GetProductsInput{ServiceCode: aws.String(service), Filters: filters})
	var items []priceItem
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("Price List GetProducts (%s): %s", what, ExplainAWS(err))
		}
		for _, raw := range page.PriceList {
			var it priceItem
			if err := json.Unmarshal([]byte(raw), &it); err != nil {
				return nil, fmt.Errorf("Price List GetProducts (%s): an item is not JSON: %v", what, err)
			}
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("the price list has no %s in %s", what, p.region)
	}
	return items, nil
}

// one is products that must find exactly one priced item.
func (p *PriceList) one(ctx context.Context, service, what string, filters ...prtypes.Filter) (priceItem, float64, error) {
	items, err := p.products(ctx, service, what, filters...)
	if err != nil {
		return priceItem{}, 0, err
	}
	if len(items) > 1 {
		return priceItem{}, 0, fmt.Errorf("the price list has %d items for %s in %s, expected one", len(items), what, p.region)
	}
	price, err := items[0].price()
	if err != nil {
		return priceItem{}, 0, fmt.Errorf("%s: %v", what, err)
	}
	return items[0], price, nil
}

// CacheNode is an ElastiCache node type's memory and hourly price; engine
// is Redis or Valkey.
func (p *PriceList) CacheNode(ctx context.Context, engine, nodeType string) (memGiB, hourly float64, err error) {
	what := engine + " " + nodeType + " nodes"
	it, hourly, err := p.one(ctx, "AmazonElastiCache", what,
		p.regional(term("productFamily", "Cache Instance"), term("instanceType", nodeType), term("cacheEngine", engine))...)
	if err != nil {
		return 0, 0, err
	}
	if memGiB, err = it.memory(); err != nil {
		return 0, 0, fmt.Errorf("%s: memory %q is not in GiB", what, it.Product.Attributes["memory"])
	}
	return memGiB, hourly, nil
}

// Serverless is ElastiCache Serverless's price per GB-hour of storage and
// per ECPU.
func (p *PriceList) Serverless(ctx context.Context, engine string) (gbHour, ecpu float64, err error) {
	items, err := p.products(ctx, "AmazonElastiCache", engine+" serverless usage",
		p.regional(term("productFamily", "ElastiCache Serverless"), term("cacheEngine", engine))...)
	if err != nil {
		return 0, 0, err
	}
	for _, it := range items {
		v, err := it.price()
		if err != nil {
			return 0, 0, err
		}
		switch u := it.Product.Attributes["usagetype"]; {
		case strings.HasSuffix(u, "ServerlessStorage"):
			gbHour = v
		case strings.HasSuffix(u, "ServerlessECPU"):
			ecpu = v
		}
	}
	if gbHour == 0 || ecpu == 0 {
		return 0, 0, fmt.Errorf("the price list has no %s serverless storage or ECPU price in %s", engine, p.region)
	}
	return gbHour, ecpu, nil
}

// regional adds the filter on the region priced.
func (p *PriceList) regional(fs ...prtypes.Filter) []prtypes.Filter {
	return append(fs, term("regionCode", p.region))
}

// ec2Filters select Linux, shared-tenancy, on-demand instances in use.
func (p *PriceList) ec2Filters(fs ...prtypes.Filter) []prtypes.Filter {
	return p.regional(append(fs, term("productFamily", "Compute Instance"), term("operatingSystem", "Linux"),
		term("tenancy", "Shared"), term("preInstalledSw", "NA"), term("capacitystatus", "Used"))...)
}

// Instances are every instance type of the families (r7g, ...).
func (p *PriceList) Instances(ctx context.Context, families []string) ([]cost.Instance, error) {
	var out []cost.Instance
	for _, f := range families {
		items, err := p.products(ctx, "AmazonEC2", "EC2 "+f+" instances",
			p.ec2Filters(prtypes.Filter{Type: prtypes.FilterTypeContains, Field: aws.String("instanceType"), Value: aws.String(f + ".")})...)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			in, err := instance(it)
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(in.Type, f+".") {
				out = append(out, in)
			}
		}
	}
	return out, nil
}

// Instance is one EC2 instance type.
func (p *PriceList) Instance(ctx context.Context, typ string) (cost.Instance, error) {
	it, _, err := p.one(ctx, "AmazonEC2", "EC2 "+typ, p.ec2Filters(term("instanceType", typ))...)
	if err != nil {
		return cost.Instance{}, err
	}
	return instance(it)
}

func instance(it priceItem) (cost.Instance, error) {
	typ := it.Product.Attributes["instanceType"]
	hourly, err := it.price()
	if err != nil {
		return cost.Instance{}, fmt.Errorf("EC2 %s: %v", typ, err)
	}
	mem, err := it.memory()
	if err != nil {
		return cost.Instance{}, fmt.Errorf("EC2 %s: memory %q is not in GiB", typ, it.Product.Attributes["memory"])
	}
	return cost.Instance{Type: typ, MemoryGiB: mem, Hourly: hourly}, nil
}

// GP3 is the gp3 volume price per GB-month.
func (p *PriceList) GP3(ctx context.Context) (float64, error) {
	_, v, err := p.one(ctx, "AmazonEC2", "EBS gp3 storage", p.regional(term("productFamily", "Storage"), term("volumeApiName", "gp3"))...)
	return v, err
}

// CrossAZ is the per-GB price of traffic between zones of the region,
// charged on each side.
func (p *PriceList) CrossAZ(ctx context.Context) (float64, error) {
	items, err := p.products(ctx, "AWSDataTransfer", "intra-region data transfer",
		term("transferType", "IntraRegion"), term("fromRegionCode", p.region), term("toRegionCode", p.region))
	if err != nil {
		return 0, err
	}
	return items[0].price()
}
