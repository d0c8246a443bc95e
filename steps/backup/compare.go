package backup

import (
	"fmt"
	"maps"
	"slices"

	"github.com/cutover/cutover/runbook"
)

// compare sets restored key counts beside the target's, per db, read
// before the save and after the restore. The target keeps serving while
// the test runs: the restore must fall between the two counts, give or
// take the tolerance (keys written or expired around the save).
func compare(restored, before, target map[int]int64, tolerance float64) ([]runbook.Evidence, bool) {
	dbs := map[int]bool{}
	for _, m := range []map[int]int64{restored, before, target} {
		for db := range m {
			dbs[db] = true
		}
	}
	var out []runbook.Evidence
	ok := true
	for _, db := range slices.Sorted(maps.Keys(dbs)) {
		r, b, t := restored[db], before[db], target[db]
		lo, hi := float64(min(b, t)), float64(max(b, t))
		good := float64(r) >= lo*(1-tolerance) && float64(r) <= hi*(1+tolerance)
		ok = ok && good
		value := fmt.Sprintf("%d restored, %d on the target", r, t)
		if b != t {
			value += fmt.Sprintf(" (%d at the save)", b)
		}
		out = append(out, runbook.Evidence{Name: fmt.Sprintf("db%d keys", db),
			Value: value, Want: fmt.Sprintf("between the counts at the save and now, within %g%%", tolerance*100), OK: good})
	}
	if len(out) == 0 {
		out = append(out, runbook.Evidence{Name: "keys", Value: "0 restored, 0 on the target", Want: "equal", OK: true})
	}
	return out, ok
}
