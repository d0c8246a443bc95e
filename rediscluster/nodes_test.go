package rediscluster

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseNodes(t *testing.T) {
	text := "07c3 127.0.0.1:30004@31004,host-a slave e7d1 0 1426238317239 4 connected\n" +
		"e7d1 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460 5462 [5461->-292f]\n" +
		"292f :30002@31002 master,fail? - 1426238316232 1426238316232 2 disconnected 5463-10922\n" +
		"short line\n"
	got := ParseNodes(text, "10.0.0.9:30001")
	if len(got) != 3 {
		t.Fatalf("%d nodes: %+v", len(got), got)
	}
	want := []Node{
		{ID: "07c3", Addr: "127.0.0.1:30004", Flags: []string{"slave"}, Master: "e7d1", Link: "connected"},
		{ID: "e7d1", Addr: "127.0.0.1:30001", Flags: []string{"myself", "master"}, Link: "connected",
			Slots: [][2]int{{0, 5460}, {5462, 5462}}, Markers: []string{"[5461->-292f]"}},
		{ID: "292f", Addr: "10.0.0.9:30002", Flags: []string{"master", "fail?"}, Link: "disconnected", Slots: [][2]int{{5463, 10922}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if !got[2].Has("fail?") || got[0].Has("master") {
		t.Error("Has")
	}
}

func TestRanges(t *testing.T) {
	for _, c := range []struct {
		set  []int
		want string
	}{{nil, ""}, {[]int{7}, "7"}, {[]int{0, 1, 2, 5, 9, 10}, "0-2,5,9-10"}} {
		in := map[int]bool{}
		for _, s := range c.set {
			in[s] = true
		}
		if got := strings.Join(Ranges(11, func(s int) bool { return in[s] }), ","); got != c.want {
			t.Errorf("Ranges(%v) = %q, want %q", c.set, got, c.want)
		}
	}
}
