package backup

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/cutover/cutover/runbook"
)

// compare sets restored key counts beside the target's, per db. The target
// keeps serving while the test runs, so counts may drift by the
// tolerance (keys written or expired since the snapshot).
func compare(restored, target map[int]int64, tolerance float64) ([]runbook.Evidence, bool) {
	dbs := map[int]bool{}
	for db := range restored {
		dbs[db] = true
	}
	for db := range target {
		dbs[db] = true
	}
	var out []runbook.Evidence
	ok := true
	for _, db := range slices.Sorted(maps.Keys(dbs)) {
		r, t := restored[db], target[db]
		diff := math.Abs(float64(r - t))
		good := diff <= tolerance*float64(max(r, t))
		ok = ok && good
		out = append(out, runbook.Evidence{Name: fmt.Sprintf("db%d keys", db),
			Value: fmt.Sprintf("%d restored, %d on the target", r, t), Want: fmt.Sprintf("within %g%%", tolerance*100), OK: good})
	}
	if len(out) == 0 {
		out = append(out, runbook.Evidence{Name: "keys", Value: "0 restored, 0 on the target", Want: "equal", OK: true})
	}
	return out, ok
}
