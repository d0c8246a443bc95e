package probes

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/runbook"
)

// Checks are the read-only executors of the runbook, by step ID.
func Checks() map[runbook.StepID]runbook.Executor {
	return map[runbook.StepID]runbook.Executor{
		runbook.InventoryDiscover:   discoverCheck,
		runbook.InventoryCost:       costCheck,
		runbook.InventoryBaseline:   baselineCheck,
		runbook.BuildReachable:      reachableCheck,
		runbook.BuildACL:            aclCheck,
		runbook.BuildUsers:          usersCheck,
		runbook.BuildTLS:            tlsCheck,
		runbook.BuildPersistence:    persistenceCheck,
		runbook.BuildReplication:    replicationCheck,
		runbook.BuildSentinel:       sentinelCheck,
		runbook.BuildCluster:        clusterCheck,
		runbook.BuildMemory:         memoryCheck,
		runbook.BuildDatabases:      databasesCheck,
		runbook.BuildKeyspaceEvents: keyspaceEventsCheck,
		runbook.BuildCommands:       commandsCheck,
		runbook.BuildScripts:        scriptsCheck,
		runbook.BuildVersion:        versionCheck,
		runbook.BuildMonitoring:     monitoringCheck,
		runbook.BuildBackup:         backupCheck,
		runbook.MigrateDualwrite:    dualWriteCheck,
		runbook.CutoverGonogo:       gonogo{},
		runbook.CutoverStragglers:   stragglersCheck,
		runbook.CutoverWatch:        watchCheck,
		runbook.VerifyConnect:       connectCheck,
		runbook.VerifyData:          dataCheck,
		runbook.VerifyPerformance:   performanceCheck,
	}
}

// check is a read-only step: Plan lists what it sends, Verify runs it
// again (nothing to undo or resume).
type check struct {
	summary string
	calls   func(cfg *runbook.Config) []string
	run     func(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) runbook.Result
	verify  func(ctx context.Context, env *runbook.Env) runbook.Result // when it differs from run
}

func (c check) Plan(_ context.Context, env *runbook.Env) (runbook.Plan, error) {
	return runbook.Plan{Summary: c.summary, Calls: c.calls(env.Config)}, nil
}

func (c check) Run(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	if report == nil {
		report = func(runbook.Progress) {}
	}
	res := c.run(ctx, env, report)
	if err := ctx.Err(); err != nil && !res.OK {
		return res, fmt.Errorf("stopped before the check finished: %w", err)
	}
	return res, nil
}

func (c check) Verify(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	if c.verify != nil {
		return c.verify(ctx, env), nil
	}
	return c.Run(ctx, env, nil)
}

// proof collects a check's evidence; the check passes when every row does.
type proof struct {
	res     runbook.Result
	failure string   // overrides the summary on failure
	fixes   []string // what to do, appended to the summary on failure
}

// fix records what the operator does when the check fails.
func (p *proof) fix(format string, args ...any) {
	p.fixes = append(p.fixes, fmt.Sprintf(format, args...))
}

// row records one observation and returns ok.
func (p *proof) row(name, value, want string, ok bool) bool {
	p.res.Evidence = append(p.res.Evidence, runbook.Evidence{Name: name, Value: value, Want: want, OK: ok})
	return ok
}

// fail records a row that could not be measured.
func (p *proof) fail(name string, err error, want string) bool {
	return p.row(name, Explain(err), want, false)
}

func (p *proof) fact(k, v string) {
	if p.res.Outputs == nil {
		p.res.Outputs = map[string]string{}
	}
	p.res.Outputs[k] = v
}

func (p *proof) warn(format string, args ...any) {
	p.res.Warnings = append(p.res.Warnings, fmt.Sprintf(format, args...))
}

func (p *proof) ok() bool {
	for _, e := range p.res.Evidence {
		if !e.OK {
			return false
		}
	}
	return len(p.res.Evidence) > 0
}

// done closes the result: pass is the summary when every row holds;
// otherwise the summary names the failing rows.
func (p *proof) done(pass string) runbook.Result {
	p.res.OK = p.ok()
	switch {
	case p.res.OK:
		p.res.Summary = pass
	case p.failure != "":
		p.res.Summary = p.failure
	default:
		var bad []string
		for _, e := range p.res.Evidence {
			if !e.OK {
				s := e.Name + ": " + e.Value
				if e.Want != "" {
					s += " (want " + e.Want + ")"
				}
				bad = append(bad, s)
			}
		}
		p.res.Summary = strings.Join(bad, "; ")
	}
	if !p.res.OK && len(p.fixes) > 0 {
		p.res.Summary += ". Fix: " + strings.Join(p.fixes, "; ")
	}
	return p.res
}

func targetClient(cfg *runbook.Config, purpose string, opts ...Option) *redis.Client {
	return Client(cfg.Target.Endpoint, purpose, append([]Option{ConfigDir(cfg.Dir)}, opts...)...)
}

func sourceClient(cfg *runbook.Config, purpose string, opts ...Option) *redis.Client {
	return Client(cfg.Source, purpose, append([]Option{ConfigDir(cfg.Dir)}, opts...)...)
}

// primaryClient connects to the target's primary now (asking the
// sentinels for a sentinel target).
func primaryClient(ctx context.Context, cfg *runbook.Config, purpose string) (*redis.Client, string, error) {
	addr, err := TargetPrimary(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	return targetClient(cfg, purpose, Addr(addr)), addr, nil
}

// infoOf sends INFO with the given sections and parses it.
func infoOf(ctx context.Context, c *redis.Client, sections ...string) (Info, error) {
	text, err := c.Info(ctx, sections...).Result()
	if err != nil {
		return Info{}, err
	}
	return ParseInfo(text), nil
}
