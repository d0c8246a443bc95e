package lab

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/servers"
)

// Writes is what GET /_lab/app/lost answers: the application's
// acknowledged writes checked on the server the name points to now.
type Writes struct {
	Server  string   `json:"server"`  // the name's current target, e.g. target.lab.internal
	Checked int      `json:"checked"` // keys the application wrote
	Lost    int      `json:"lost"`    // of which the server holds an older write or none
	Example []string `json:"example,omitempty"`
}

// LostWrites checks every key the application wrote against the server
// the CNAME points to: that server must hold the last write it
// acknowledged (its sequence number) or a later one.
func (l *Lab) LostWrites(ctx context.Context) (Writes, error) {
	if l.App == nil || l.Zones == nil {
		return Writes{}, errors.New("the lab has no application running")
	}
	r, ok := l.Zones.Get(CNAME, "CNAME")
	if !ok || len(r.Values) == 0 {
		return Writes{}, fmt.Errorf("%s has no CNAME record", CNAME)
	}
	name := strings.TrimSuffix(r.Values[0], ".")
	c, err := l.checkClient(name)
	if err != nil {
		return Writes{}, err
	}
	defer c.Close()
	acked := l.App.Acked()
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range acked {
			if !yield(k) {
				return
			}
		}
	})
	cmds := make([]*redis.StringCmd, len(keys))
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, k)
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return Writes{}, fmt.Errorf("reading the application's keys on %s: %v", name, err)
	}
	w := Writes{Server: name, Checked: len(keys)}
	for i, k := range keys {
		have, _ := strconv.ParseInt(cmds[i].Val(), 10, 64) // a missing key holds 0
		if have < acked[k] {
			w.Lost++
			if len(w.Example) < 5 {
				w.Example = append(w.Example, fmt.Sprintf("%s: write %d acknowledged, server holds %q", k, acked[k], cmds[i].Val()))
			}
		}
	}
	return w, nil
}

// checkClient connects to the server (or cluster) the lab name leads to.
func (l *Lab) checkClient(name string) (redis.UniversalClient, error) {
	if l.Cluster {
		cl := map[string]*servers.Cluster{SourceName: l.SourceCluster, TargetName: l.TargetCluster}[name]
		if cl == nil {
			return nil, fmt.Errorf("%s points at %s, which is none of the lab's clusters", CNAME, name)
		}
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), Password: cl.Password, Protocol: 2, DisableIdentity: true,
			ClientName: "cutover-lab-check", ReadTimeout: 5 * time.Second}), nil
	}
	srv := map[string]*servers.Redis{SourceName: l.Source, TargetName: l.Target, ReplicaName: l.Replica}[name]
	if srv == nil {
		return nil, fmt.Errorf("%s points at %s, which is none of the lab's servers", CNAME, name)
	}
	return redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: srv.Password, Protocol: 2, DisableIdentity: true,
		ClientName: "cutover-lab-check", ReadTimeout: 5 * time.Second}), nil
}
