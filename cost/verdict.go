package cost

import (
	"fmt"
	"math"
	"strings"
	"text/tabwriter"
)

// Verdict is the answer in one line.
func (c Case) Verdict() string {
	if c.Saving <= 0 {
		return fmt.Sprintf("staying is cheaper: ElastiCache costs %s/month less than running it yourself", Money(-c.Saving))
	}
	s := fmt.Sprintf("self-managed is cheaper by %s/month", Money(c.Saving))
	if c.PaybackMonths > 0 {
		s += fmt.Sprintf("; the migration pays back in %.1f months", c.PaybackMonths)
	}
	return s
}

// BreakEven says where both sides cost the same.
func (c Case) BreakEven(src Source) string {
	if c.BreakEvenShards == 0 {
		return "never at this size: the self-managed nodes alone cost more than ElastiCache's"
	}
	if src.Serverless {
		return fmt.Sprintf("at about %.0f GB of data", c.BreakEvenGiB)
	}
	return fmt.Sprintf("at %.1f shards of %s with %d replica(s) each (about %.0f GB of data)", c.BreakEvenShards, src.NodeType, src.ReplicasPerShard, c.BreakEvenGiB)
}

// Rule is the playbook's rule of thumb applied to this cache.
func (c Case) Rule(clusters int) string {
	if c.RuleStay {
		return fmt.Sprintf("stay: %.0f GB of data in %d cluster(s) is under %d GB and %d clusters, where the managed premium costs less than the people", c.DataGiB, clusters, ruleGB, ruleClusters)
	}
	return fmt.Sprintf("past the small-cache threshold (%.0f GB in %d cluster(s); the rule says stay under %d GB and %d clusters): the figures decide", c.DataGiB, clusters, ruleGB, ruleClusters)
}

// Table is both sides, line by line, with their totals.
func (c Case) Table() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	side := func(title string, ls []Line, total float64) {
		fmt.Fprintf(w, "%s\t\t\n", title)
		for _, l := range ls {
			fmt.Fprintf(w, "  %s\t%10s\t%s\n", l.Item, Money(l.Monthly), l.Detail)
		}
		fmt.Fprintf(w, "  total\t%10s\t\n", Money(total))
	}
	side("ElastiCache (stay)", c.Managed, c.ManagedTotal)
	side("self-managed (leave)", c.Self, c.SelfTotal)
	w.Flush()
	return b.String()
}

// Money is whole US dollars with thousands separators, like $38,259.
func Money(x float64) string {
	n := int64(math.Round(math.Abs(x)))
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if x < 0 && n != 0 {
		return "-$" + s
	}
	return "$" + s
}
