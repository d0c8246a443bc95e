package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/live"
)

type runCmd struct {
	configFlag
	Steps    []runbook.StepID  `arg:"" name:"step" help:"Step ID, e.g. build.reachable (see cutover plan); several run in order in one process, stopping at the first that fails (a live sync started by migrate.live lives as long as the process)."`
	Yes      bool              `help:"Confirm the plan without typing the resource name (scripts, rehearsals)."`
	Operator string            `help:"Who runs it (default: config operator, $CUTOVER_OPERATOR, $USER)."`
	Second   string            `help:"Second operator for two-person steps; must differ from the operator."`
	Choice   string            `help:"Option ID for a decision step."`
	Reason   string            `help:"Why: for decisions, skips and re-runs."`
	Note     string            `help:"What was done, for manual steps."`
	Skip     bool              `help:"Skip the step (needs --reason)."`
	Rerun    bool              `help:"Re-run an action that already ran (needs --reason)."`
	Verify   bool              `help:"Re-check the step's outcome without changing anything."`
	Opt      map[string]string `help:"Run options, e.g. --opt mode=kill (see cutover plan)."`
	Timeout  time.Duration     `default:"2h" help:"Give up after this long."`
}

func (c *runCmd) Run(s stdio) error {
	svc := live.NewService()
	eng, cfg, op, notes, err := openEngine(c.configFlag, c.Operator, svc)
	if err != nil {
		return err
	}
	defer eng.Close()
	defer svc.Close() // a live sync started here ends with the command
	for _, n := range notes {
		fmt.Fprintln(s.err, "note:", n)
	}
	var steps []*runbook.Step
	for _, id := range c.Steps {
		step := eng.RB.Step(id)
		if step == nil {
			return usageErr("no step %q; `cutover plan` lists them", id)
		}
		steps = append(steps, step)
	}
	if len(steps) > 1 && (c.Skip || c.Verify || c.Rerun || c.Choice != "" || c.Note != "") {
		return usageErr("--skip, --verify, --rerun, --choice and --note apply to one step: run %s one at a time", runbook.JoinIDs(c.Steps, ", "))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()

	logf := timeline(s, cfg, eng.Redact)
	svc.SetLog(logf)
	fileLog := openLog(cfg.Log, eng.Redact)
	eng.OnEvent(func(ev runbook.Event) { fileLog("%s", ev.Line()) })
	notifier := startNotifier(eng, cfg, logf)
	defer notifier.Close(notifyDrain)
	for _, step := range steps {
		if err := c.runOne(ctx, s, eng, cfg, op, step, logf); err != nil {
			return err
		}
	}
	return nil
}

// runOne records or runs one step as the flags say.
func (c *runCmd) runOne(ctx context.Context, s stdio, eng *runbook.Engine, cfg *runbook.Config, op string, step *runbook.Step, logf func(string, ...any)) error {
	record := func(ev runbook.Event) error {
		ev.Step, ev.Operator = step.ID, op
		if _, err := eng.Record(ev); err != nil {
			return usageErr("%v", err)
		}
		return nil
	}
	switch {
	case c.Skip:
		if err := record(runbook.Event{Type: runbook.EvSkip, Reason: c.Reason}); err != nil {
			return err
		}
		fmt.Fprintf(s.out, "%s skipped: %s\n", step.ID, eng.Redact.Scrub(c.Reason))
		return nil
	case c.Verify:
		res, err := eng.Verify(ctx, step.ID, eng.Env(op, c.Opt, logf))
		if err != nil {
			return failed(errors.New(eng.Redact.Scrub(err.Error())))
		}
		printResult(s, eng.Redact, string(step.ID)+" (verify)", res)
		if !res.OK {
			return failed(fmt.Errorf("%s does not verify", step.ID))
		}
		return nil
	}
	switch step.Kind {
	case runbook.Decision:
		if c.Choice == "" {
			return usageErr("%s is a decision: pass --choice (one of %s) and --reason", step.ID, optionList(step))
		}
		if err := record(runbook.Event{Type: runbook.EvDecide, Choice: c.Choice, Reason: c.Reason}); err != nil {
			return err
		}
		fmt.Fprintf(s.out, "%s: chose %s (%s)\n", step.ID, c.Choice, eng.Redact.Scrub(c.Reason))
		return nil
	case runbook.Manual:
		if b := eng.State().Blocker(step.ID); b != "" {
			return usageErr("%s", b)
		}
		if h, ok := labHooks(cfg)[step.ID]; ok && c.Note != "" {
			fmt.Fprintln(s.err, h.Hint)
			if err := h.Do(ctx); err != nil {
				return failed(err)
			}
		}
		if err := record(runbook.Event{Type: runbook.EvTick, Note: c.Note}); err != nil {
			return err
		}
		fmt.Fprintf(s.out, "%s ticked: %s\n", step.ID, eng.Redact.Scrub(c.Note))
		return nil
	}
	if c.Rerun {
		if err := record(runbook.Event{Type: runbook.EvRerun, Reason: c.Reason}); err != nil {
			return err
		}
	}
	if b := eng.State().Blocker(step.ID); b != "" {
		return usageErr("%s", b)
	}
	req := runbook.Request{Operator: op, Second: c.Second, Options: c.Opt}
	if step.Kind == runbook.Action {
		if err := c.confirm(ctx, s, eng, step, &req, logf); err != nil {
			return err
		}
	}
	res, err := eng.Run(ctx, step.ID, req, logf, progressPrinter(s))
	if err != nil && !errors.Is(err, runbook.ErrCheckFailed) && res.Summary == "" {
		return failed(errors.New(eng.Redact.Scrub(err.Error())))
	}
	printResult(s, eng.Redact, string(step.ID), res)
	if err != nil {
		return failed(fmt.Errorf("%s failed: %s", step.ID, eng.Redact.Scrub(strings.TrimPrefix(err.Error(), runbook.ErrCheckFailed.Error()+": "))))
	}
	return nil
}

// confirm shows the plan and passes the gate: --yes, or the operator types
// the resource on a terminal.
func (c *runCmd) confirm(ctx context.Context, s stdio, eng *runbook.Engine, step *runbook.Step, req *runbook.Request, logf func(string, ...any)) error {
	pctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	p, err := eng.Plan(pctx, step.ID, eng.Env(req.Operator, req.Options, logf))
	if err != nil {
		return failed(fmt.Errorf("%s: cannot work out the plan: %s", step.ID, eng.Redact.Scrub(err.Error())))
	}
	req.Plan = &p
	fmt.Fprint(s.out, eng.Redact.Scrub(formatPlan(p, "")))
	if step.GateOf() == runbook.NoGate {
		return nil
	}
	if step.GateOf() == runbook.TwoPerson && c.Second == "" {
		return usageErr("%s is a two-person step: pass --second NAME (the engineer confirming with you)", step.ID)
	}
	if c.Yes {
		req.Confirmed = p.Resource
		return nil
	}
	if f, ok := s.in.(*os.File); !ok || !isTerminal(f) {
		return usageErr("%s changes things: pass --yes to confirm the plan above, or run it on a terminal and type %q", step.ID, p.Resource)
	}
	fmt.Fprintf(s.out, "type %s to go on: ", p.Resource)
	line, _ := bufio.NewReader(s.in).ReadString('\n')
	req.Confirmed = strings.TrimSpace(line)
	if req.Confirmed != p.Resource {
		return usageErr("%q does not match %q: nothing was done", req.Confirmed, p.Resource)
	}
	return nil
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func optionList(step *runbook.Step) string {
	var ids []string
	for _, o := range step.Options {
		ids = append(ids, o.ID)
	}
	return strings.Join(ids, ", ")
}

// timeline prints timeline lines to stderr and appends them to the log
// file, redacted.
func timeline(s stdio, cfg *runbook.Config, r *runbook.Redactor) func(string, ...any) {
	logf := openLog(cfg.Log, r)
	probes.LogRedisTo(logf) // go-redis's own chatter goes to the log file only
	return func(format string, args ...any) {
		line := r.Scrub(fmt.Sprintf(format, args...))
		fmt.Fprintf(s.err, "%s %s\n", time.Now().Format("15:04:05"), line)
		logf("%s", line)
	}
}

// progressPrinter prints progress lines, at most one a second.
func progressPrinter(s stdio) func(runbook.Progress) {
	var last time.Time
	return func(p runbook.Progress) {
		if time.Since(last) < time.Second && (p.Total == 0 || p.Done < p.Total) {
			return
		}
		last = time.Now()
		fmt.Fprintf(s.err, "  %s\n", runbook.FormatProgress(p))
	}
}

func printResult(s stdio, r *runbook.Redactor, title string, res runbook.Result) {
	mark := "PASS"
	if !res.OK {
		mark = "FAIL"
	}
	fmt.Fprintf(s.out, "%s %s: %s\n", mark, title, r.Scrub(res.Summary))
	for _, e := range res.Evidence {
		ok := "ok  "
		if !e.OK {
			ok = "FAIL"
		}
		want := ""
		if e.Want != "" {
			want = "  (want " + e.Want + ")"
		}
		fmt.Fprintf(s.out, "  %s %-28s %s%s\n", ok, e.Name, r.Scrub(e.Value), r.Scrub(want))
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(s.out, "  warning: %s\n", r.Scrub(w))
	}
}
