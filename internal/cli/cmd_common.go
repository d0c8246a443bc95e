package cli

import (
	"fmt"
	"os"
	"os/user"

	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/live"
)

// configFlag is the --config flag every runbook command takes.
type configFlag struct {
	Config string `short:"c" default:"cutover.yaml" env:"CUTOVER_CONFIG" help:"Path of the config file." type:"path"`
}

func (f configFlag) load() (*runbook.Config, error) {
	cfg, err := runbook.LoadConfig(f.Config, os.Getenv)
	if err != nil {
		return nil, &exitError{2, err}
	}
	return cfg, nil
}

// newRunbook is the runbook with this build's executors attached.
func newRunbook(svc *live.Service) (*runbook.Runbook, error) {
	rb := runbook.New()
	if err := rb.Attach(executors(svc)); err != nil {
		return nil, err
	}
	if ids := rb.Unattached(); len(ids) > 0 {
		return nil, fmt.Errorf("this build has no executor for %s", runbook.JoinIDs(ids, ", "))
	}
	return rb, nil
}

// operatorName picks who is at the keyboard: the flag, the config, then
// $CUTOVER_OPERATOR, then the login name.
func operatorName(flag string, cfg *runbook.Config) string {
	for _, v := range []string{flag, cfg.Operator, os.Getenv("CUTOVER_OPERATOR"), os.Getenv("USER")} {
		if v != "" {
			return v
		}
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "operator"
}

// openEngine loads config and journal and takes the lock; the steps that
// run share svc, the caller's live sync service.
func openEngine(f configFlag, operator string, svc *live.Service) (*runbook.Engine, *runbook.Config, string, runbook.Notes, error) {
	cfg, err := f.load()
	if err != nil {
		return nil, nil, "", nil, err
	}
	rb, err := newRunbook(svc)
	if err != nil {
		return nil, nil, "", nil, err
	}
	op := operatorName(operator, cfg)
	eng, notes, err := runbook.Open(cfg, rb, op)
	if err != nil {
		return nil, nil, "", nil, &exitError{2, err}
	}
	return eng, cfg, op, notes, nil
}

// loadEngine replays the journal read-only.
func loadEngine(f configFlag) (*runbook.Engine, runbook.Notes, error) {
	cfg, err := f.load()
	if err != nil {
		return nil, nil, err
	}
	rb, err := newRunbook(live.NewService()) // read-only: never started
	if err != nil {
		return nil, nil, err
	}
	eng, notes, err := runbook.Load(cfg, rb)
	if err != nil {
		return nil, nil, &exitError{2, err}
	}
	return eng, notes, nil
}
