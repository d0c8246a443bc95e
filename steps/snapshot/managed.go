package snapshot

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// A replication group and a serverless cache are snapshotted by one flow:
// create (reusing a snapshot of the same name), poll until available, and
// verify the newest. A kind carries what differs: the calls and the words.

// kind is one sort of ElastiCache source's snapshot calls.
type kind struct {
	id       string // the replication group or serverless cache
	owner    string // "replication group" or "serverless cache"
	what     string // how messages name its snapshots
	of       string // how "no cutover snapshot of ..." names the source
	events   string // where to look when a snapshot fails
	createOp string
	// create asks for the snapshot; taken says whether its error only means
	// that a snapshot of that name exists.
	create   func(ctx context.Context, name string) error
	taken    func(error) bool
	describe func(ctx context.Context, name string) (shot, error)
	// names lists every snapshot of the source, all pages.
	names func(ctx context.Context) ([]string, error)
}

// shot is a described snapshot: its status and the result recording it.
type shot struct {
	status string
	result runbook.Result
}

// kindOf is the source's kind, with an ElastiCache client for its calls.
func kindOf(ctx context.Context, cfg *runbook.Config) (kind, error) {
	api, err := probes.NewElastiCache(ctx, cfg.AWS)
	if err != nil {
		return kind{}, err
	}
	if cfg.Source.Serverless() {
		return serverlessKind(api, cfg.Source.ServerlessCache), nil
	}
	return groupKind(api, cfg.Source.ReplicationGroup), nil
}

func (e *Executor) runManaged(ctx context.Context, env *runbook.Env, report func(runbook.Progress)) (runbook.Result, error) {
	k, err := kindOf(ctx, env.Config)
	if err != nil {
		return runbook.Result{}, err
	}
	name := Name(k.id, e.now())
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	err = k.create(cctx, name)
	cancel()
	switch {
	case err != nil && k.taken(err):
		env.Logf("%s %s already exists: waiting for it instead of taking another", k.what, name)
	case err != nil:
		return runbook.Result{}, awsErr(k.createOp, err)
	default:
		env.Logf("%s %s of %s %s requested", k.createOp, name, k.owner, k.id)
	}
	s, err := e.waitAvailable(ctx, k, name, report)
	if err != nil {
		return runbook.Result{}, err
	}
	env.Logf("%s %s is available", k.what, name)
	if err := allShards(env, s.result); err != nil {
		return runbook.Result{}, err
	}
	return s.result, nil
}

// waitAvailable polls the snapshot until it is available.
func (e *Executor) waitAvailable(ctx context.Context, k kind, name string, report func(runbook.Progress)) (shot, error) {
	start := time.Now()
	tick := time.NewTicker(e.poll())
	defer tick.Stop()
	for {
		s, err := k.describe(ctx, name)
		if err != nil {
			return shot{}, err
		}
		elapsed := time.Since(start)
		report(runbook.Progress{Done: int64(elapsed.Seconds()), Unit: "seconds", Message: fmt.Sprintf("%s %s is %s", k.what, name, s.status)})
		switch s.status {
		case "available":
			return s, nil
		case "failed", "deleted", "deleting":
			return shot{}, fmt.Errorf("%s %s ended in status %s: look at %s in the ElastiCache console, then re-run migrate.snapshot", k.what, name, s.status, k.events)
		}
		select {
		case <-ctx.Done():
			return shot{}, fmt.Errorf("stopped waiting for %s %s (status %s after %s): %w", k.what, name, s.status, elapsed.Round(time.Second), ctx.Err())
		case <-tick.C:
		}
	}
}

func (e *Executor) verifyManaged(ctx context.Context, env *runbook.Env) (runbook.Result, error) {
	k, err := kindOf(ctx, env.Config)
	if err != nil {
		return runbook.Result{}, err
	}
	name := env.Fact(runbook.SnapshotName)
	if name == "" {
		names, err := k.names(ctx)
		if err != nil {
			return runbook.Result{}, err
		}
		name = newest(k.id, names)
	}
	if name == "" {
		return runbook.Result{Summary: "no cutover snapshot of " + k.of + " exists; run migrate.snapshot"}, nil
	}
	s, err := k.describe(ctx, name)
	if err != nil {
		return runbook.Result{}, err
	}
	res := s.result
	if s.status != "available" {
		res.OK = false
		res.Summary = fmt.Sprintf("%s %s is %s, not available", k.what, name, s.status)
		res.Evidence[1].OK = false
		res.Outputs = nil
	}
	return res, nil
}

// describeOne is the one snapshot a Describe call by name lists.
func describeOne[O, S any](ctx context.Context, op, name string, call func(context.Context) (O, error), list func(O) []S) (S, error) {
	var zero S
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := call(ctx)
	if err != nil {
		return zero, awsErr(op, err)
	}
	l := list(out)
	if len(l) == 0 {
		return zero, fmt.Errorf("ElastiCache %s: snapshot %s is not listed", op, name)
	}
	return l[0], nil
}

// pager is an SDK paginator of ElastiCache Describe pages.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*elasticache.Options)) (O, error)
}

// allNames reads every page, each call within callTimeout, and names each
// snapshot listed.
func allNames[O, S any](ctx context.Context, op string, p pager[O], list func(O) []S, name func(S) *string) ([]string, error) {
	var all []string
	for p.HasMorePages() {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			return nil, awsErr(op, err)
		}
		for _, s := range list(out) {
			all = append(all, aws.ToString(name(s)))
		}
	}
	return all, nil
}
