package notify

import "github.com/cutover/cutover/runbook"

// FromEvent is the announcement of a journal event (already scrubbed of
// secrets by the journal): every transition, decision and tick; progress
// is too frequent to announce. A result's outputs, the drill's figures
// among them, go in the details.
func FromEvent(ev runbook.Event) (Message, bool) {
	if ev.Type == runbook.EvProgress {
		return Message{}, false
	}
	d := map[string]string{}
	if ev.Result != nil {
		for k, v := range ev.Result.Outputs {
			d[k] = v
		}
	}
	kind := string(ev.Type)
	if ev.Step == runbook.VerifyFailover && ev.Type == runbook.EvSucceed {
		kind = "drill"
	}
	for k, v := range map[string]string{"event": kind, "step": string(ev.Step), "operator": ev.Operator,
		"second": ev.Second, "reason": ev.Reason, "choice": ev.Choice, "note": ev.Note, "error": ev.Error} {
		if v != "" {
			d[k] = v
		}
	}
	return Message{Time: ev.Time, Text: "cutover: " + ev.Line(), Details: d}, true
}
