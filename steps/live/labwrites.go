package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cutover/cutover/runbook"
)

// labWrites asks the practice lab whether its application lost an
// acknowledged write in the cutover: the lab checks every key the
// application wrote on the server the name points to now. Outside the lab
// there is no such witness, and nothing is added.
func labWrites(ctx context.Context, cfg *runbook.Config, res *runbook.Result) {
	if cfg.Lab == nil {
		return
	}
	url := strings.TrimSuffix(cfg.Lab.ControlURL, "/") + "/app/lost"
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var w struct {
		Server        string
		Checked, Lost int
		Example       []string
	}
	err := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %s", url, resp.Status)
		}
		return json.NewDecoder(resp.Body).Decode(&w)
	}()
	if err != nil {
		res.Warnings = append(res.Warnings, "the lab could not say whether its application lost a write: "+err.Error())
		return
	}
	v := fmt.Sprintf("%d of %d keys the lab application wrote (checked on %s)", w.Lost, w.Checked, w.Server)
	if len(w.Example) > 0 {
		v += ": " + strings.Join(w.Example, "; ")
	}
	res.Evidence = append(res.Evidence, runbook.Evidence{Name: "acknowledged writes lost", Value: v, Want: "0", OK: w.Lost == 0})
	res.Outputs["lab_writes_lost"] = fmt.Sprint(w.Lost)
	if w.Lost > 0 {
		res.OK = false
		res.Summary += fmt.Sprintf("; %d acknowledged writes of the lab application are not on %s", w.Lost, w.Server)
	}
}
