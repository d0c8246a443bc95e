package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cutover/cutover/runbook"
)

type planCmd struct {
	configFlag
	Timeout time.Duration `default:"15s" help:"How long each action may take to work out its plan."`
	Table   bool          `help:"Print the runbook as a Markdown table (phase, step, kind, gate, what it proves); needs no config."`
}

func (c *planCmd) Run(s stdio) error {
	if c.Table {
		fmt.Fprint(s.out, runbookTable(runbook.New()))
		return nil
	}
	eng, notes, err := loadEngine(c.configFlag)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(s.err, "note:", n)
	}
	st := eng.State()
	op := operatorName("", eng.Config)
	reh, err := runbook.ReadRehearsal(eng.Config.Window.Rehearsal)
	if err != nil {
		fmt.Fprintln(s.err, "note:", err)
	}
	budgets := reh.Budgets(eng.Config.Window.Margin)
	if clock, ok := runbook.ClockAt(eng.Config.Window, st, budgets, time.Now()); ok {
		fmt.Fprintln(s.out, "== The change window")
		for _, l := range clock.Lines() {
			fmt.Fprintf(s.out, "    %s\n", l)
		}
	}
	for _, ph := range runbook.Phases {
		fmt.Fprintf(s.out, "\n== %s\n", ph.Title)
		for _, step := range eng.RB.Steps {
			if step.Phase != ph.ID {
				continue
			}
			eff := st.Effective(step.ID)
			fmt.Fprintf(s.out, "\n%s %-20s %-8s %-10s %s\n", runbook.Glyph(eff), step.ID, step.Kind, step.GateOf(), eff)
			fmt.Fprintf(s.out, "    %s\n", step.Title)
			fmt.Fprintf(s.out, "%s\n", indent(wrap(step.About, 76), "    "))
			if len(step.Needs) > 0 {
				fmt.Fprintf(s.out, "    needs: %s\n", runbook.JoinIDs(step.Needs, ", "))
			}
			if b := budgetLine(budgets, step.ID); b != "" {
				fmt.Fprintf(s.out, "    %s\n", b)
			}
			if d := detail(st, step); d != "" {
				fmt.Fprintf(s.out, "    now: %s\n", d)
			}
			for _, o := range step.Options {
				fmt.Fprintf(s.out, "    option %-16s %s\n", o.ID, o.Title)
			}
			if step.Suggest != nil {
				if opt, why := step.Suggest(st.Facts); opt != "" {
					fmt.Fprintf(s.out, "    suggested: %s (%s)\n", opt, why)
				}
			}
			if step.Kind == runbook.Action && eff != runbook.NotApplied {
				c.printPlan(s, eng, step, op)
			}
		}
	}
	return nil
}

func (c *planCmd) printPlan(s stdio, eng *runbook.Engine, step *runbook.Step, op string) {
	if step.Exec == nil {
		fmt.Fprintln(s.out, "    plan: not available in this build")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	p, err := eng.Plan(ctx, step.ID, eng.Env(op, nil, nil))
	if err != nil {
		fmt.Fprintf(s.out, "    plan: cannot be worked out now: %s\n", eng.Redact.Scrub(err.Error()))
		return
	}
	fmt.Fprint(s.out, eng.Redact.Scrub(formatPlan(p, "    ")))
}

// formatPlan renders a plan as indented lines.
func formatPlan(p runbook.Plan, pre string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%splan: %s\n", pre, p.Summary)
	for i, call := range p.Calls {
		fmt.Fprintf(&b, "%s  %d. %s\n", pre, i+1, call)
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "%s  warning: %s\n", pre, w)
	}
	if p.Resource != "" {
		fmt.Fprintf(&b, "%s  confirm by typing: %s\n", pre, p.Resource)
	}
	return b.String()
}

func indent(s, pre string) string {
	return pre + strings.ReplaceAll(s, "\n", "\n"+pre)
}

// wrap breaks text into lines of at most width columns.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(s) {
		if n > 0 && n+1+len(w) > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

// runbookTable is the README's runbook table, generated so it stays true.
func runbookTable(rb *runbook.Runbook) string {
	var b strings.Builder
	b.WriteString("| phase | step | kind | gate | what it proves or does |\n|---|---|---|---|---|\n")
	for _, s := range rb.Steps {
		about := s.About
		if len(s.Options) > 0 {
			var ids []string
			for _, o := range s.Options {
				ids = append(ids, "`"+o.ID+"`")
			}
			about += " Options: " + strings.Join(ids, ", ") + "."
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", s.Phase, s.ID, s.Kind, s.GateOf(), about)
	}
	return b.String()
}
