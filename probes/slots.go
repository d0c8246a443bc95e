package probes

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cutover/cutover/rediscluster"
)

const clusterSlots = rediscluster.Count

// slotSet marks the slots of a Redis Cluster.
type slotSet []bool

func newSlotSet() slotSet { return make(slotSet, clusterSlots) }

// add marks start..end (clamped to the slot space) and returns how many
// were new.
func (s slotSet) add(start, end int) int {
	n := 0
	for i := max(start, 0); i <= min(end, clusterSlots-1); i++ {
		if !s[i] {
			s[i] = true
			n++
		}
	}
	return n
}

// addRanges marks ranges written as ElastiCache writes a node group's
// Slots: "0-5460", or "0-100,200-300", or a single slot "7".
func (s slotSet) addRanges(ranges string) (int, error) {
	n := 0
	for _, r := range strings.Split(ranges, ",") {
		lo, hi, ok := strings.Cut(strings.TrimSpace(r), "-")
		if !ok {
			hi = lo
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || a > b {
			return n, fmt.Errorf("slot range %q is not N or N-M", r)
		}
		n += s.add(a, b)
	}
	return n, nil
}

// count is the number of marked slots.
func (s slotSet) count() int {
	n := 0
	for _, ok := range s {
		if ok {
			n++
		}
	}
	return n
}

// missing lists the unmarked slots as ranges, "5461-10922, 16000", or "".
func (s slotSet) missing() string {
	return strings.Join(rediscluster.Ranges(len(s), func(i int) bool { return !s[i] }), ", ")
}
