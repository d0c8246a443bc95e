package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/report"
	"github.com/cutover/cutover/runbook"
)

type rehearsalCmd struct {
	Import rehearsalImportCmd `cmd:"" help:"Take each step's duration from a rehearsal's journal (the lab or a staging cache) as the window's budgets."`
}

type rehearsalImportCmd struct {
	configFlag
	Journal string `arg:"" help:"The rehearsal's journal file." type:"existingfile"`
}

// Run reads the rehearsal's journal and writes window.rehearsal.
func (c *rehearsalImportCmd) Run(s stdio) error {
	cfg, err := c.load()
	if err != nil {
		return err
	}
	rep, err := runbook.ReadJournal(c.Journal)
	if err != nil {
		return usageErr("%v", err)
	}
	r := runbook.RehearsalFrom(rep.Events)
	if len(r.Steps) == 0 {
		return usageErr("journal %s records no finished step; rehearse first (cutover lab, then cutover run ... or the console)", c.Journal)
	}
	r.Journal, r.Imported = c.Journal, time.Now().UTC()
	if err := runbook.WriteRehearsal(cfg.Window.Rehearsal, r); err != nil {
		return failed(fmt.Errorf("rehearsal: %w", err))
	}
	b := r.Budgets(cfg.Window.Margin)
	tw := tabwriter.NewWriter(s.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tREHEARSED\tBUDGET")
	var total time.Duration
	for _, step := range runbook.New().Steps {
		if sec, ok := r.Steps[step.ID]; ok {
			d := time.Duration(sec * float64(time.Second)).Round(time.Second)
			fmt.Fprintf(tw, "%s\t%s\t%s\n", step.ID, d, b[step.ID])
			if step.ID != runbook.RollbackCname {
				total += b[step.ID]
			}
		}
	}
	tw.Flush()
	fmt.Fprintf(s.out, "budgets for %d steps (rehearsal +%.0f%%), %s in all, written to %s\n", len(r.Steps), 100*cfg.Window.Margin, total, cfg.Window.Rehearsal)
	return nil
}

type handoffCmd struct {
	configFlag
	Output  string        `short:"o" help:"Write the handoff to this file instead of stdout." type:"path"`
	Timeout time.Duration `default:"5s" help:"How long reading the abort criteria's live values may take."`
}

// Run writes the handoff of the config's journal; it reads the journal
// without its lock, so it works while the console runs.
func (c *handoffCmd) Run(s stdio) error {
	eng, _, err := loadEngine(c.configFlag)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	data, err := handoff(ctx, eng.Config, eng.State(), operatorName("", eng.Config), nil)
	if err != nil {
		return failed(err)
	}
	if c.Output == "" {
		_, err := s.out.Write(data)
		return err
	}
	if err := writeFileAtomic(c.Output, data); err != nil {
		return failed(fmt.Errorf("handoff: %w", err))
	}
	fmt.Fprintf(s.out, "handoff written to %s\n", c.Output)
	return nil
}

// handoff gathers the live readings and renders the handoff; the console
// calls it too, with what its live sync is doing.
func handoff(ctx context.Context, cfg *runbook.Config, st runbook.State, by string, running []string) ([]byte, error) {
	h := report.Handoff{Config: cfg, State: st, Now: time.Now(), By: by, Running: running}
	clock, ok, err := probes.WindowClock(cfg, st, h.Now)
	if err != nil {
		return nil, err
	}
	if ok {
		h.Clock = &clock
	}
	for _, r := range probes.ReadCriteria(ctx, cfg, st) {
		h.Criteria = append(h.Criteria, r.String())
	}
	var buf bytes.Buffer
	if err := report.WriteHandoff(&buf, h); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// budgetLine is the plan's line for a step's budget, "" without one.
func budgetLine(b runbook.Budgets, id runbook.StepID) string {
	d, ok := b[id]
	if !ok {
		return ""
	}
	return fmt.Sprintf("budget: %s", d)
}

// writeHandoffFile writes the console's handoff beside the journal.
func writeHandoffFile(cfg *runbook.Config, st runbook.State, by string, running []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	data, err := handoff(ctx, cfg, st, by, running)
	if err != nil {
		return "", err
	}
	path := filepath.Join(filepath.Dir(cfg.Journal), "handoff-"+time.Now().UTC().Format("20060102-150405")+".md")
	return path, writeFileAtomic(path, data)
}
