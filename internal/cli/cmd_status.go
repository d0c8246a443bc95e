package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/cutover/cutover/runbook"
)

type statusCmd struct {
	configFlag
	JSON bool `help:"Print JSON: {\"steps\":[{\"id\",\"phase\",\"kind\",\"gate\",\"state\",\"options\"}]} in runbook order."`
}

// stepStatus is one step in `status --json`, a stable scripting interface:
// fields may be added, never renamed or removed.
type stepStatus struct {
	ID      runbook.StepID `json:"id"`
	Phase   string         `json:"phase"`
	Kind    string         `json:"kind"`
	Gate    string         `json:"gate"`
	State   string         `json:"state"`
	Options []string       `json:"options"`
	Choice  string         `json:"choice,omitempty"`
	Reason  string         `json:"reason,omitempty"`
	By      string         `json:"by,omitempty"`
	Second  string         `json:"second,omitempty"`
	At      *time.Time     `json:"at,omitempty"`
}

func statusOf(st runbook.State, s *runbook.Step) stepStatus {
	rec := st.Get(s.ID)
	out := stepStatus{ID: s.ID, Phase: s.Phase, Kind: string(s.Kind), Gate: string(s.GateOf()),
		State: string(st.Effective(s.ID)), Options: []string{}, Choice: rec.Choice, Reason: rec.Reason,
		By: rec.By, Second: rec.Second}
	for _, o := range s.Options {
		out.Options = append(out.Options, o.ID)
	}
	if !rec.At.IsZero() {
		at := rec.At
		out.At = &at
	}
	return out
}

func (c *statusCmd) Run(s stdio) error {
	eng, notes, err := loadEngine(c.configFlag)
	if err != nil {
		return err
	}
	st := eng.State()
	if c.JSON {
		var out struct {
			Steps []stepStatus `json:"steps"`
		}
		for _, step := range eng.RB.Steps {
			out.Steps = append(out.Steps, statusOf(st, step))
		}
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, n := range notes {
		fmt.Fprintln(s.err, "note:", n)
	}
	if h := runbook.ReadHolder(eng.Config.Journal); h != nil {
		fmt.Fprintf(s.out, "journal %s is driven by %s\n\n", eng.Config.Journal, h)
	}
	tw := tabwriter.NewWriter(s.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tKIND\tSTATE\tBY\tWHEN\tDETAIL")
	for _, step := range eng.RB.Steps {
		ss := statusOf(st, step)
		when := ""
		if ss.At != nil {
			when = ss.At.Local().Format("01-02 15:04:05")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\t%s\n", ss.ID, ss.Kind, runbook.Glyph(st.Effective(step.ID)), ss.State, who(ss.By, ss.Second), when, detail(st, step))
	}
	return tw.Flush()
}

func who(by, second string) string {
	if second != "" {
		return by + "+" + second
	}
	return by
}

// detail is the one-line why of a step's state.
func detail(st runbook.State, s *runbook.Step) string {
	rec := st.Get(s.ID)
	switch eff := st.Effective(s.ID); eff {
	case runbook.NotApplied:
		_, _, why := st.Applies(s.ID)
		return why
	case runbook.Skipped:
		return "reason: " + rec.Reason
	case runbook.Failed:
		return rec.Error
	case runbook.Pending, runbook.Ready:
		if until, ok := st.WaitUntil(s.ID); ok {
			return "may be done from " + until.Local().Format("2006-01-02 15:04")
		}
		if eff == runbook.Pending {
			return st.Blocker(s.ID)
		}
	case runbook.Done:
		switch {
		case rec.Choice != "":
			return fmt.Sprintf("chose %s: %s", rec.Choice, rec.Reason)
		case rec.Note != "":
			return "note: " + rec.Note
		case rec.Result != nil:
			return rec.Result.Summary
		}
	case runbook.Interrupted:
		return "interrupted: verify it (run --verify) or re-run it on purpose"
	}
	return ""
}
