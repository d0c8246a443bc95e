package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/cutover/cutover/runbook"
)

// dialogKind says what a dialog asks for and what its answer does.
type dialogKind int

const (
	dlgConfirm dialogKind = iota // run a gated action: type the resource (and a second operator)
	dlgDecide                    // pick an option and give a reason
	dlgTick                      // tick a manual step with a note
	dlgSkip                      // skip with a reason
	dlgRerun                     // re-arm an action with a reason
	dlgQuit                      // quit while something runs
)

// field is one row of a dialog: a choice (←/→) or a text input.
type field struct {
	label   string
	choices []runbook.Option
	sel     int
	input   textinput.Model
	name    string // the key of its value in the answer
}

func (f *field) value() string {
	if f.choices != nil {
		return f.choices[f.sel].ID
	}
	return strings.TrimSpace(f.input.Value())
}

// dialog is the modal on top of the console. It owns the keyboard while
// open and answers with a dialogDoneMsg.
type dialog struct {
	kind     dialogKind
	step     *runbook.Step
	operator string
	title    string
	body     []string
	plan     *runbook.Plan
	fields   []field
	focus    int
	err      string
	keys     DialogKeys
}

// dialogDoneMsg carries a submitted dialog's answers.
type dialogDoneMsg struct {
	kind   dialogKind
	step   runbook.StepID
	plan   *runbook.Plan
	values map[string]string
}

func newInput(placeholder string) textinput.Model {
	in := textinput.New()
	in.Placeholder = placeholder
	in.Prompt = "> "
	in.CharLimit = 200
	return in
}

func textField(name, label, placeholder string) field {
	return field{name: name, label: label, input: newInput(placeholder)}
}

// newConfirm asks to type the resource and, for two-person gates, the
// second operator's name; run options come first.
func newConfirm(s *runbook.Step, opts []runbook.RunOption, p runbook.Plan, operator string) *dialog {
	d := &dialog{kind: dlgConfirm, step: s, operator: operator, plan: &p,
		title: fmt.Sprintf("Run %s: %s", s.ID, s.Title)}
	d.body = append(d.body, p.Summary)
	for i, c := range p.Calls {
		d.body = append(d.body, fmt.Sprintf("%d. %s", i+1, c))
	}
	for _, w := range p.Warnings {
		d.body = append(d.body, "warning: "+w)
	}
	for _, o := range opts {
		d.fields = append(d.fields, field{name: "opt:" + o.Name, label: o.Title, choices: o.Choices})
	}
	if s.Gate != runbook.NoGate && s.Gate != "" {
		d.fields = append(d.fields, textField("confirm", "Type "+p.Resource+" to go on", p.Resource))
	}
	if s.Gate == runbook.TwoPerson {
		d.fields = append(d.fields, textField("second", "Second operator (not "+operator+") confirms: name", "their name"))
	}
	return d
}

func newReasonDialog(kind dialogKind, s *runbook.Step, title, label string) *dialog {
	return &dialog{kind: kind, step: s, title: title, fields: []field{textField("text", label, "")}}
}

// newDecide preselects the current choice, else what the discovered
// facts suggest (and says why).
func newDecide(s *runbook.Step, st runbook.State) *dialog {
	f := field{name: "choice", label: "Option", choices: s.Options}
	body := []string{s.About}
	pick := st.Get(s.ID).Choice
	if s.Suggest != nil {
		if opt, why := s.Suggest(st.Facts); opt != "" {
			body = append(body, "Suggested: "+opt+" ("+why+")")
			if pick == "" {
				pick = opt
			}
		}
	}
	for i, o := range s.Options {
		if o.ID == pick {
			f.sel = i
		}
	}
	d := &dialog{kind: dlgDecide, step: s, title: "Decide " + string(s.ID) + ": " + s.Title, body: body}
	d.fields = []field{f, textField("text", "Reason (recorded in the journal)", "")}
	return d
}

func newQuit(running []runbook.StepID, k DialogKeys) *dialog {
	return &dialog{kind: dlgQuit, title: "Quit while steps run?", body: []string{
		"Running: " + runbook.JoinIDs(running, ", "),
		"Quitting cancels them; they will be recorded as failed (cancelled).",
		"Press " + first(k.Yes) + " to cancel them and quit, or " + first(k.No) + " to stay."}}
}

// open focuses the first field.
func (d *dialog) open() tea.Cmd { return d.setFocus(0) }

func (d *dialog) setFocus(i int) tea.Cmd {
	if len(d.fields) == 0 {
		return nil
	}
	d.focus = (i + len(d.fields)) % len(d.fields)
	var cmd tea.Cmd
	for j := range d.fields {
		if d.fields[j].choices != nil {
			continue
		}
		if j == d.focus {
			cmd = d.fields[j].input.Focus()
		} else {
			d.fields[j].input.Blur()
		}
	}
	return cmd
}

// update handles a key; done is true when the dialog closes (answer is
// nil when it was cancelled).
func (d *dialog) update(msg tea.KeyPressMsg) (cmd tea.Cmd, done bool, answer *dialogDoneMsg) {
	k := d.keys
	if d.kind == dlgQuit {
		switch {
		case key.Matches(msg, k.Yes):
			return nil, true, &dialogDoneMsg{kind: dlgQuit}
		case key.Matches(msg, k.No):
			return nil, true, nil
		}
		return nil, false, nil
	}
	switch {
	case key.Matches(msg, k.Cancel):
		return nil, true, nil
	case key.Matches(msg, k.Next):
		return d.setFocus(d.focus + 1), false, nil
	case key.Matches(msg, k.Prev):
		return d.setFocus(d.focus - 1), false, nil
	case key.Matches(msg, k.Submit):
		if d.focus < len(d.fields)-1 {
			return d.setFocus(d.focus + 1), false, nil
		}
		if err := d.validate(); err != "" {
			d.err = err
			return nil, false, nil
		}
		return nil, true, d.answer()
	}
	f := &d.fields[d.focus]
	if f.choices != nil {
		switch {
		case key.Matches(msg, k.Left):
			f.sel = (f.sel + len(f.choices) - 1) % len(f.choices)
		case key.Matches(msg, k.Right):
			f.sel = (f.sel + 1) % len(f.choices)
		}
		return nil, false, nil
	}
	d.err = ""
	f.input, cmd = f.input.Update(msg)
	return cmd, false, nil
}

// validate returns what is wrong with the answers, or "".
func (d *dialog) validate() string {
	for i := range d.fields {
		f := &d.fields[i]
		v := f.value()
		switch f.name {
		case "confirm":
			if v != d.plan.Resource {
				d.setFocus(i)
				return fmt.Sprintf("%q does not match %q: type it exactly, or esc to cancel", v, d.plan.Resource)
			}
		case "second":
			if v == "" {
				d.setFocus(i)
				return "a second operator must confirm this step"
			}
			if strings.EqualFold(v, d.operator) {
				d.setFocus(i)
				return "the second operator must be someone other than " + d.operator
			}
		case "text":
			if v == "" {
				d.setFocus(i)
				return "this cannot be empty: it is recorded in the journal"
			}
		}
	}
	return ""
}

func (d *dialog) answer() *dialogDoneMsg {
	a := &dialogDoneMsg{kind: d.kind, step: d.step.ID, plan: d.plan, values: map[string]string{}}
	for i := range d.fields {
		a.values[d.fields[i].name] = d.fields[i].value()
	}
	return a
}

// view renders the dialog box at most width wide.
func (d *dialog) view(width int) string {
	inner := max(20, min(width-4, 100))
	wrapS := lipgloss.NewStyle().Width(inner)
	var b []string
	b = append(b, sBold.Render(truncate(d.title, inner)), "")
	for _, l := range d.body {
		b = append(b, wrapS.Render(l))
	}
	if len(d.body) > 0 {
		b = append(b, "")
	}
	for i := range d.fields {
		f := &d.fields[i]
		mark := "  "
		if i == d.focus {
			mark = sKey.Render("▸ ")
		}
		if f.choices != nil {
			var opts []string
			for j, o := range f.choices {
				if j == f.sel {
					opts = append(opts, sSel.Render("["+o.ID+"]"))
				} else {
					opts = append(opts, sFaint.Render(" "+o.ID+" "))
				}
			}
			b = append(b, mark+f.label+": "+strings.Join(opts, " "))
			b = append(b, "    "+sFaint.Render(truncate(f.choices[f.sel].Title, inner-4)))
			continue
		}
		f.input.SetWidth(inner - 6)
		b = append(b, mark+f.label, "  "+f.input.View())
	}
	if d.err != "" {
		b = append(b, "", sBad.Render("✗ "+d.err))
	}
	k := d.keys
	hint := []key.Binding{brief("next/submit", k.Submit), brief("move", k.Next), brief("choose", k.Left, k.Right), brief("cancel", k.Cancel)}
	if d.kind == dlgQuit {
		hint = []key.Binding{brief("quit", k.Yes), brief("stay", k.No)}
	}
	b = append(b, "", keyLine(" · ", sFaint, sFaint, hint...))
	return sDialog.Render(strings.Join(b, "\n"))
}
