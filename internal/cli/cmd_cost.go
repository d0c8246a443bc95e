package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

type costCmd struct {
	configFlag
	Timeout time.Duration `default:"1m" help:"How long the price and inventory reads may take."`
}

// Run prints inventory.cost's case without recording anything: it reads
// the ElastiCache API, CloudWatch, the Price List API and the source's INFO.
func (c *costCmd) Run(s stdio) error {
	cfg, err := c.load()
	if err != nil {
		return err
	}
	if !cfg.Source.ElastiCache() {
		return usageErr("%s: source.kind is %s: the cost case compares an ElastiCache bill, so it needs an elasticache or elasticache-serverless source", cfg.Path, cfg.Source.Kind)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	st := runbook.NewState(runbook.New(), cfg.Source.Kind, cfg.Target.Kind)
	env := &runbook.Env{Config: cfg, State: &st, Operator: operatorName("", cfg)}
	res, err := probes.Checks()[runbook.InventoryCost].Run(ctx, env, nil)
	if err != nil {
		return failed(err)
	}
	red := cfg.Redactor()
	w := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
	for _, e := range res.Evidence {
		if e.OK {
			fmt.Fprintf(w, "%s\t%s\n", e.Name, red.Scrub(e.Value))
		}
	}
	w.Flush()
	if !res.OK {
		return failed(fmt.Errorf("%s", red.Scrub(res.Summary)))
	}
	fmt.Fprintf(s.out, "\nverdict:     %s\nbreak-even:  %s\nplaybook:    %s\n", res.Summary,
		res.Outputs[runbook.CostBreakEven.Name], res.Outputs[runbook.CostRule.Name])
	for _, w := range res.Warnings {
		fmt.Fprintln(s.err, "warning:", red.Scrub(w))
	}
	return nil
}
