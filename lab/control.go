package lab

import (
	"encoding/json"
	"net/http"

	"github.com/cutover/cutover/lab/app"
	"github.com/cutover/cutover/lab/servers"
)

// ControlPath is where the AWS stand-in serves the lab's control endpoints.
const ControlPath = "/_lab/"

// Status is what GET /_lab/status answers (no passwords).
type Status struct {
	Block   string         `json:"block"`
	Servers []ServerStatus `json:"servers"`
	DNS     string         `json:"dns"`
	CNAME   string         `json:"cname"`
	App     app.Status     `json:"app"`
}

// ServerStatus is one child process.
type ServerStatus struct {
	Name    string `json:"name"`
	Addr    string `json:"addr"`
	Pid     int    `json:"pid"`
	Running bool   `json:"running"`
}

// control serves POST /_lab/app/restart (a rolling restart of the
// application; with ?hold=1 one pooled connection stays on the old
// address, a straggler for cutover.stragglers), POST /_lab/app/release
// (closes that connection), POST /_lab/app/evalsha (the application loads
// its script where the name points and calls it by SHA from then on), GET /_lab/app/lost (the application's
// acknowledged writes checked where the name points) and GET /_lab/status. The stand-in serving it
// starts after everything it reports on.
func (l *Lab) control() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ControlPath+"app/restart", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hold") != "1" {
			l.App.Restart()
			l.logf("application restarted (POST %sapp/restart)", ControlPath)
			writeJSON(w, map[string]bool{"restarted": true})
			return
		}
		addr, err := l.App.RestartHolding()
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		l.logf("application restarted, one connection held on %s (POST %sapp/restart?hold=1)", addr, ControlPath)
		writeJSON(w, map[string]any{"restarted": true, "held": addr})
	})
	mux.HandleFunc("POST "+ControlPath+"app/release", func(w http.ResponseWriter, r *http.Request) {
		l.App.Release()
		l.logf("held application connection closed (POST %sapp/release)", ControlPath)
		writeJSON(w, map[string]bool{"released": true})
	})
	mux.HandleFunc("POST "+ControlPath+"app/evalsha", func(w http.ResponseWriter, r *http.Request) {
		sha, err := l.App.UseScript(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		l.logf("application calls its script by EVALSHA %s from now on (POST %sapp/evalsha)", sha, ControlPath)
		writeJSON(w, map[string]string{"sha": sha})
	})
	mux.HandleFunc("GET "+ControlPath+"app/lost", func(w http.ResponseWriter, r *http.Request) {
		res, err := l.LostWrites(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		writeJSON(w, res)
	})
	mux.HandleFunc("GET "+ControlPath+"status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, l.Status())
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Status reports the servers, the name's current target and the
// application's counters.
func (l *Lab) Status() Status {
	s := Status{Block: l.Block.String()}
	add := func(name, addr string, pid int, done <-chan struct{}) {
		running := true
		select {
		case <-done:
			running = false
		default:
		}
		s.Servers = append(s.Servers, ServerStatus{Name: name, Addr: addr, Pid: pid, Running: running})
	}
	for _, r := range []struct {
		name string
		srv  *servers.Redis
	}{{"source", l.Source}, {"target", l.Target}, {"replica", l.Replica}} {
		if r.srv != nil {
			add(r.name, r.srv.Addr(), r.srv.Pid(), r.srv.Done())
		}
	}
	for _, c := range []struct {
		name string
		c    *servers.Cluster
	}{{"source node", l.SourceCluster}, {"target node", l.TargetCluster}} {
		if c.c != nil {
			for _, n := range c.c.Nodes()[1:] { // the first is source or target above
				add(c.name, n.Addr(), n.Pid(), n.Done())
			}
		}
	}
	for _, x := range l.Sentinels {
		add("sentinel", x.Addr(), x.Pid(), x.Done())
	}
	if l.Exporter != nil {
		add("exporter", l.Exporter.Addr(), l.Exporter.Pid(), l.Exporter.Done())
	}
	if l.DNS != nil {
		s.DNS = l.DNS.Addr()
	}
	if l.Zones != nil {
		if r, ok := l.Zones.Get(CNAME, "CNAME"); ok && len(r.Values) > 0 {
			s.CNAME = r.Values[0]
		}
	}
	if l.App != nil {
		s.App = l.App.Status()
	}
	return s
}
