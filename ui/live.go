package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/steps/livesync"
)

// LiveSync is the process's background live sync (steps/live.Service): it
// runs on after migrate.live is done, so the console reads its stats on
// its own tick rather than from a step's progress.
type LiveSync interface {
	Stats() (livesync.Stats, bool)
}

type (
	liveTickMsg struct{}
	liveLogMsg  string
)

func (m *Model) liveTick() tea.Cmd { return m.work.after(time.Second, liveTickMsg{}) }

// onLiveTick takes a snapshot (memory only, no network) and re-arms.
func (m *Model) onLiveTick() tea.Cmd {
	m.liveStats, m.liveOn = m.live.Stats()
	return m.liveTick()
}

// readLiveLog waits for the sync's next log line, or the console's end.
func (m *Model) readLiveLog() tea.Cmd {
	ch := m.liveLog
	return m.work.cmd(func(ctx context.Context) tea.Msg {
		select {
		case line, ok := <-ch:
			if ok {
				return liveLogMsg(line)
			}
		case <-ctx.Done():
		}
		return nil
	})
}

func (m *Model) onLiveLog(line liveLogMsg) tea.Cmd {
	level := 0
	if strings.Contains(string(line), "may have been lost") || strings.Contains(string(line), "stopped") {
		level = 1
	}
	m.addLog(level, "%s", string(line))
	return m.readLiveLog()
}

// liveBanner is one line on every tab while a sync runs.
func (m *Model) liveBanner() string {
	if !m.liveOn {
		return ""
	}
	st := m.liveStats
	if st.Err != "" {
		return " LIVE SYNC STOPPED: " + st.Err
	}
	return " LIVE SYNC · " + st.String()
}

// livePane shows the running sync's figures.
func (m *Model) livePane(w, h int) string {
	st := m.liveStats
	state := "consistent: no event lost since the last pass"
	if !st.Consistent {
		state = "NOT YET CONSISTENT"
		if st.LastIncident != nil {
			state += ": rescanning after " + st.LastIncident.Reason
		}
	}
	lag := "lag -"
	if st.LagKnown {
		lag = fmt.Sprintf("lag %.1f s", st.Lag.Seconds())
	}
	lines := []string{
		fmt.Sprintf("%s · pass %d · %s", st.Phase, st.Passes, state),
		fmt.Sprintf("copied %s keys · deleted %s · scanned %s", probes.Count(float64(st.Copied)), probes.Count(float64(st.Deleted)), probes.Count(float64(st.Scanned))),
		fmt.Sprintf("events %s · coalesced %s · queue %d", probes.PerSec(st.EventsPerSec), probes.Count(float64(st.Coalesced)), st.Queue),
		fmt.Sprintf("%s · events dropped %d", lag, st.Dropped),
	}
	if st.Err != "" {
		lines = append(lines, "stopped: "+st.Err)
	}
	return pane("Live sync", strings.Join(lines, "\n"), w, h)
}
