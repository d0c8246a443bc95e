package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/ui"
)

// labHooks: in the practice lab, ticking cutover.restart restarts the
// simulated application (it reconnects and re-resolves the name, as a
// rolling restart would), so the panes show its traffic move.
func labHooks(cfg *runbook.Config) map[runbook.StepID]ui.Hook {
	if cfg.Lab == nil {
		return nil
	}
	url := strings.TrimSuffix(cfg.Lab.ControlURL, "/") + "/app/restart"
	return map[runbook.StepID]ui.Hook{runbook.CutoverRestart: {
		Hint: "Lab: ticking this restarts the simulated application (POST " + url + ").",
		Do: func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("restarting the lab's application: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("restarting the lab's application: %s answered %s", url, resp.Status)
			}
			return nil
		},
	}}
}
