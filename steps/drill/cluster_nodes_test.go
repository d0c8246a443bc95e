package drill

import (
	"reflect"
	"testing"
)

func TestParseNodes(t *testing.T) {
	text := "a1 :7000@17000 myself,master - 0 0 1 connected 0-5460 [5461->-b2]\n" +
		"b2 10.0.0.2:7001@17001,node-b master,fail? - 0 0 2 connected 5461 5462-10922\n" +
		"c3 10.0.0.3:7002@17002 slave b2 0 0 2 disconnected\n"
	nodes := parseNodes(text, "10.0.0.1:7000")
	if len(nodes) != 3 {
		t.Fatalf("%d nodes", len(nodes))
	}
	a, b, c := nodes[0], nodes[1], nodes[2]
	if a.addr != "10.0.0.1:7000" || !reflect.DeepEqual(a.slots, [][2]int{{0, 5460}}) || a.down() != "" {
		t.Errorf("myself: %+v (down %q)", a, a.down())
	}
	if b.addr != "10.0.0.2:7001" || !b.has("fail?") || b.has("fail") || rangesText(b.slots) != "5461,5462-10922" || b.down() == "" {
		t.Errorf("b: %+v", b)
	}
	if c.master != "b2" || c.down() != "link disconnected" || c.ownsAll(b.slots) {
		t.Errorf("c: %+v (down %q)", c, c.down())
	}
	if !b.ownsAll([][2]int{{5461, 5470}}) || b.owns(5460) {
		t.Errorf("b's slots: %v", b.slots)
	}
}
