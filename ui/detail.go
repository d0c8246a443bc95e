package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/progress"
	"charm.land/lipgloss/v2"

	"github.com/cutover/cutover/runbook"
)

// detailView renders the focused step: what it proves or does, why it is
// where it is, its plan, its progress and its last result with evidence.
func detailView(st runbook.State, s *runbook.Step, r *run, bar *progress.Model, now time.Time, budget string, k KeyMap, width, height int) string {
	eff := st.Effective(s.ID)
	rec := st.Get(s.ID)
	wrapS := lipgloss.NewStyle().Width(width)
	var b []string
	head := fmt.Sprintf("%s %s", runbook.Glyph(eff), s.ID)
	b = append(b, statusStyle(eff).Bold(true).Render(head)+sFaint.Render(fmt.Sprintf("  %s · gate %s · %s", s.Kind, gateName(s), eff)))
	b = append(b, sBold.Render(s.Title))
	if why := statusWhy(st, s, k); why != "" {
		b = append(b, wrapS.Render(why))
	}
	if w := waitLine(st, s); w != "" && eff != runbook.Done {
		b = append(b, sWarn.Render(wrapS.Render(w)))
	}
	if r != nil {
		b = append(b, "", progressLine(r, bar, now, width))
	}
	if budget != "" {
		style := sFaint
		if strings.HasPrefix(budget, "OVER") {
			style = sBad
		}
		b = append(b, style.Render(budget))
	}
	if res := rec.Result; res != nil {
		mark, st := "PASS", sOK
		if !res.OK {
			mark, st = "FAIL", sBad
		}
		b = append(b, "", st.Render(mark)+" "+wrapS.Render(res.Summary))
		for _, e := range res.Evidence {
			g, est := "✓", sOK
			if !e.OK {
				g, est = "✗", sBad
			}
			line := fmt.Sprintf("%s %s: %s", g, e.Name, e.Value)
			if e.Want != "" {
				line += sFaint.Render("  want " + e.Want)
			}
			b = append(b, est.Render(truncate(line, width)))
		}
		for _, w := range res.Warnings {
			b = append(b, sWarn.Render(truncate("! "+w, width)))
		}
	}
	if rec.Error != "" && eff == runbook.Failed {
		b = append(b, sBad.Render(wrapS.Render("error: "+rec.Error)))
	}
	if rec.Plan != nil && s.Kind == runbook.Action {
		b = append(b, "", sBold.Render("Plan (as confirmed)"))
		b = append(b, wrapS.Render(rec.Plan.Summary))
		for i, c := range rec.Plan.Calls {
			b = append(b, truncate(fmt.Sprintf(" %d. %s", i+1, c), width))
		}
	}
	// What the step is for comes last: once it has run, its evidence
	// matters more.
	b = append(b, "", wrapS.Render(sFaint.Render(s.About)))
	if len(s.Needs) > 0 {
		b = append(b, sFaint.Render(wrapS.Render("needs: "+runbook.JoinIDs(s.Needs, ", "))))
	}
	out := strings.Split(strings.Join(b, "\n"), "\n")
	if len(out) > height {
		out = append(out[:max(0, height-1)], sFaint.Render("… (more in the journal and `cutover status`)"))
	}
	return strings.Join(out, "\n")
}

func gateName(s *runbook.Step) string {
	if s.Gate == "" {
		return string(runbook.NoGate)
	}
	return string(s.Gate)
}

// statusWhy explains the state in words: the blocker, the skip reason,
// the decision, who ticked it.
func statusWhy(st runbook.State, s *runbook.Step, k KeyMap) string {
	rec := st.Get(s.ID)
	switch eff := st.Effective(s.ID); eff {
	case runbook.Pending:
		return sWarn.Render("waiting: ") + st.Blocker(s.ID)
	case runbook.NotApplied:
		_, _, why := st.Applies(s.ID)
		return sFaint.Render("not applicable: " + why)
	case runbook.Skipped:
		return sWarn.Render("skipped by "+rec.By+": ") + rec.Reason
	case runbook.Interrupted:
		return sBad.Render("interrupted: ") + "it was running when the last process stopped. Press " + first(k.Verify) + " to verify its outcome, or " + first(k.Rerun) + " to re-run it on purpose."
	case runbook.Ready:
		what := "run the check"
		switch s.Kind {
		case runbook.Decision:
			what = "choose an option"
		case runbook.Manual:
			what = "tick it with a note once done"
		case runbook.Action:
			what = "see the plan and confirm"
		}
		return sText.Render(first(k.Run) + ": " + what)
	case runbook.Done:
		switch {
		case rec.Choice != "":
			return sOK.Render("chose "+rec.Choice+": ") + rec.Reason + sFaint.Render(" ("+rec.By+")")
		case rec.Note != "":
			return sOK.Render("ticked by "+rec.By+": ") + rec.Note
		}
	}
	return ""
}

// progressLine is the bar with amount, rate and ETA.
func progressLine(r *run, bar *progress.Model, now time.Time, width int) string {
	p := r.progress
	elapsed := now.Sub(r.started).Round(time.Second)
	text := runbook.FormatProgress(p)
	if r.rate > 0 {
		text += fmt.Sprintf(" · %s/s", runbook.Amount(int64(r.rate), p.Unit))
	}
	if eta := r.eta(); eta > 0 {
		text += " · ETA " + eta.Round(time.Second).String()
	}
	text += " · " + elapsed.String() + " · c cancels"
	if p.Total <= 0 {
		return sRun.Render("◐ running ") + truncate(text, width-10)
	}
	bar.SetWidth(min(width, 60))
	return bar.ViewAs(float64(p.Done)/float64(p.Total)) + "\n" + truncate(text, width)
}

// waitLine says when a held step (decommission) may be done.
func waitLine(st runbook.State, s *runbook.Step) string {
	if s.Wait == nil {
		return ""
	}
	if until, ok := st.WaitUntil(s.ID); ok {
		return fmt.Sprintf("may be done from %s (%s)", until.Local().Format("Mon 2006-01-02 15:04"), s.Wait)
	}
	return fmt.Sprintf("may be done %s", s.Wait)
}
