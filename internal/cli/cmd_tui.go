package cli

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/live"
	"github.com/cutover/cutover/ui"
)

type tuiCmd struct {
	configFlag
	Operator string `help:"Who is at the keyboard (default: config operator, $CUTOVER_OPERATOR, $USER)."`
}

func (c *tuiCmd) Run(s stdio) error {
	// SIGTERM ends the console as quitting does: running work is cancelled
	// and recorded. ctrl+c is a key in the console, not a signal.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	return runConsole(ctx, c.configFlag, c.Operator)
}

// runConsole opens the journal (taking its lock) and runs the console
// until the operator quits.
func runConsole(ctx context.Context, f configFlag, operator string) error {
	svc := live.NewService()
	eng, cfg, op, notes, err := openEngine(f, operator, svc)
	if err != nil {
		return err
	}
	defer eng.Close()
	defer svc.Close() // the live sync, if one runs, ends with the console
	logf := openLog(cfg.Log, eng.Redact)
	probes.LogRedisTo(logf) // go-redis would print dial failures over the screen
	notifier := startNotifier(eng, cfg, logf)
	defer notifier.Close(notifyDrain)
	reh, err := runbook.ReadRehearsal(cfg.Window.Rehearsal)
	if err != nil {
		logf("%v; the window runs without budgets", err)
	}
	budgets := reh.Budgets(cfg.Window.Margin)
	liveLog := make(chan string, 256)
	svc.SetLog(func(format string, args ...any) {
		line := eng.Redact.Scrub(fmt.Sprintf(format, args...))
		select {
		case liveLog <- line: // the console shows it and writes the log file
		default:
			logf("%s", line) // the screen is behind: the file still gets it
		}
	})
	return ui.Run(ctx, ui.Options{
		Engine: eng, Operator: op, Notes: notes,
		Source:  ui.NewPane("source", sourcePoller(cfg), cfg.PollInterval.Duration),
		Target:  targetPane(cfg),
		Mapping: ui.NewMapping(probes.MappingFor(cfg.Source), cloudWatch(cfg)),
		Log:     logf,
		Hooks:   labHooks(cfg),
		Live:    svc, LiveLog: liveLog,
		Budgets: budgets,
		OnAbort: notifier.Abort,
		Handoff: func(st runbook.State, running []string) (string, error) {
			return writeHandoffFile(cfg, st, op, running)
		},
	})
}

// sourcePoller and targetPoller feed the INFO panes.
func sourcePoller(cfg *runbook.Config) ui.Poller { return probes.SourcePoller(cfg) }
func targetPoller(cfg *runbook.Config) ui.Poller { return probes.TargetPoller(cfg) }

// targetPane is a cluster target's pane (every node, the focused shard in
// full) or the single-node pane.
func targetPane(cfg *runbook.Config) *ui.Pane {
	if cfg.Target.Kind == "cluster" {
		return ui.NewClusterPane("target", probes.TargetClusterPoller(cfg), cfg.PollInterval.Duration)
	}
	return ui.NewPane("target", targetPoller(cfg), cfg.PollInterval.Duration)
}

// cloudWatch reads the source's CloudWatch metrics when the source is an
// ElastiCache replication group or serverless cache; nil otherwise (the mapping shows "-"). The client
// is made on the first read, off the Update loop: finding the primary
// node is an AWS call, and the console must not wait for it to start.
func cloudWatch(cfg *runbook.Config) ui.CloudWatchFunc {
	if !cfg.Source.ElastiCache() {
		return nil
	}
	var cw *probes.CloudWatch
	return func(ctx context.Context) (map[string]float64, error) {
		if cw == nil {
			c, err := probes.NewCloudWatch(ctx, cfg)
			if err != nil {
				return nil, err
			}
			cw = c
		}
		return cw.Fetch(ctx)
	}
}
