package download

import (
	"sync"

	"github.com/cutover/cutover/runbook"
)

// allProgress sums the downloads running at once into one progress line:
// the bytes fetched of all objects, with the message of the latest report.
type allProgress struct {
	mu     sync.Mutex
	report func(runbook.Progress)
	done   []int64
	total  int64
}

func newProgress(objs []object, report func(runbook.Progress)) *allProgress {
	p := &allProgress{report: report, done: make([]int64, len(objs))}
	for _, o := range objs {
		p.total += o.size
	}
	return p
}

// fetch is the report function of object i's download.
func (p *allProgress) fetch(i int) func(runbook.Progress) {
	return func(r runbook.Progress) { p.send(r, i, r.Done) }
}

// verify is the report function of object i's check, which reads the
// whole download: the object counts as fetched, and the message is shown.
func (p *allProgress) verify(i int) func(runbook.Progress) {
	return func(r runbook.Progress) { p.send(r, i, r.Total) }
}

func (p *allProgress) send(r runbook.Progress, i int, done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done[i] = done
	var sum int64
	for _, d := range p.done {
		sum += d
	}
	r.Done, r.Total, r.Unit = sum, p.total, "bytes"
	p.report(r)
}
