package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/steps/rdb"
)

// batch is a run of commands for one database, written in one go.
type batch struct {
	buf      []byte
	db       int // -1: no database (FUNCTION LOAD)
	items    []item
	keys     []byte // the items' key names, back to back
	selected bool   // the writer sent SELECT first
}

// item is one key (or function library) and how many replies it gets.
type item struct {
	off, n int32 // key name in batch.keys
	cmds   int32
	native bool
	fn     bool
}

func (b *batch) reset() {
	if cap(b.buf) > keepBytes {
		b.buf = make([]byte, 0, batchBytes+batchBytes/4)
	}
	b.buf, b.items, b.keys, b.db, b.selected = b.buf[:0], b.items[:0], b.keys[:0], -1, false
}

func (b *batch) add(key []byte, cmds int32, native, fn bool) {
	b.items = append(b.items, item{off: int32(len(b.keys)), n: int32(len(key)), cmds: cmds, native: native, fn: fn})
	b.keys = append(b.keys, key...)
}

func (b *batch) key(it item) string { return printable(b.keys[it.off : it.off+it.n]) }

// run is one load in progress.
type run struct {
	o      *Options
	t      *Target
	ctx    context.Context
	cancel context.CancelCauseFunc

	free chan *batch
	work chan *batch

	acked    atomic.Int64
	restored atomic.Int64
	native   atomic.Int64
	fns      atomic.Int64

	mu       sync.Mutex
	failed   int64
	failures []string
	warnings []string
	perDB    map[int]int64
}

func stream(ctx context.Context, opt *redis.Options, path string, sum *rdb.Summary, t *Target, o *Options) (*Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open the RDB file: %w", err)
	}
	defer f.Close()
	rd, err := rdb.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	start := time.Now()
	r := &run{o: o, t: t, perDB: map[int]int64{}}
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	defer r.cancel(nil)
	conns := make([]*conn, 0, o.Conns)
	defer func() {
		for _, c := range conns {
			c.close()
		}
	}()
	for range o.Conns {
		c, err := dialConn(r.ctx, opt)
		if err != nil {
			return nil, fmt.Errorf("cannot connect to the target %s: %s", opt.Addr, probes.Explain(err))
		}
		conns = append(conns, c)
	}
	// Closing the connections unblocks every read and write on cancel.
	stop := context.AfterFunc(r.ctx, func() {
		for _, c := range conns {
			c.close()
		}
	})
	defer stop()

	pool := o.Conns*(inflight+1) + 1
	r.free = make(chan *batch, pool)
	for range pool {
		r.free <- &batch{buf: make([]byte, 0, batchBytes+batchBytes/4), db: -1}
	}
	r.work = make(chan *batch)
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { r.serve(c) })
	}
	st := &Stats{}
	readErr := r.read(rd, sum, st)
	close(r.work)
	wg.Wait()
	st.Keys, st.Restored, st.Native, st.Functions = r.acked.Load(), r.restored.Load(), r.native.Load(), int(r.fns.Load())
	st.Failed, st.Failures, st.Warnings, st.PerDB = r.failed, r.failures, r.warnings, r.perDB
	st.Bytes = rd.Offset()
	// A failure in a connection cancels the run with itself as the cause;
	// the reader then only sees the cancellation.
	if cause := context.Cause(r.ctx); cause != nil && (readErr == nil || r.ctx.Err() != nil) {
		readErr = cause
	}
	if readErr != nil {
		return st, r.explain(readErr, sum)
	}
	if o.Progress != nil {
		o.Progress(progressAt(st.Bytes, sum.Bytes, st.Keys, sum.Loadable(), time.Since(start)))
	}
	return st, nil
}

// explain turns a stop into one line that says how far it got and that a
// re-run converges.
func (r *run) explain(err error, sum *rdb.Summary) error {
	done := fmt.Sprintf("after %d of %d keys", r.acked.Load(), sum.Loadable())
	var fatal *fatalError
	switch {
	case errors.As(err, &fatal):
		return fmt.Errorf("the target %s refused the load %s: %s; fix that, then re-run the load with existing=replace: it overwrites what was written", r.t.Addr, done, fatal.msg)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("load cancelled %s; re-running it with existing=replace converges (RESTORE REPLACE)", done)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("load ran out of time %s; re-running it with existing=replace converges (RESTORE REPLACE)", done)
	case isIO(err):
		return fmt.Errorf("the target %s stopped answering %s (%s); when it is back, re-run the load with existing=replace: it overwrites what was written", r.t.Addr, done, probes.Explain(err))
	}
	return fmt.Errorf("load stopped %s: %w", done, err)
}

// ioError marks a failure talking to the target.
type ioError struct{ err error }

func (e *ioError) Error() string { return e.err.Error() }
func (e *ioError) Unwrap() error { return e.err }

func isIO(err error) bool {
	var e *ioError
	return errors.As(err, &e)
}

// fatalError is a reply that means every later command fails too.
type fatalError struct{ msg string }

func (e *fatalError) Error() string { return e.msg }

// fatalReply tells the refusals that stop the load from the per-key ones.
func fatalReply(e replyError) bool {
	code, _, _ := strings.Cut(string(e), " ")
	switch code {
	case "OOM", "NOAUTH", "NOPERM", "WRONGPASS", "READONLY", "LOADING", "MASTERDOWN", "MOVED", "ASK", "CROSSSLOT", "CLUSTERDOWN", "MISCONF":
		return true
	}
	return strings.Contains(string(e), "DB index is out of range") || strings.Contains(string(e), "invalid DB index")
}

func (r *run) fail(err error) { r.cancel(err) }

func (r *run) get() (*batch, bool) {
	select {
	case b := <-r.free:
		return b, true
	case <-r.ctx.Done():
		return nil, false
	}
}

func (r *run) send(b *batch) bool {
	select {
	case r.work <- b:
		return true
	case <-r.ctx.Done():
		return false
	}
}

func (r *run) failure(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	if len(r.failures) < maxFailures {
		r.failures = append(r.failures, fmt.Sprintf(format, args...))
	}
}

func (r *run) warn(ws []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range ws {
		if len(r.warnings) < maxWarnings {
			r.warnings = append(r.warnings, w)
		}
	}
}

// serve writes batches to one connection and, alongside, checks their
// replies in order.
func (r *run) serve(c *conn) {
	pending := make(chan *batch, inflight)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range pending {
			if err := r.check(c, b); err != nil {
				r.fail(err)
				for range pending { // drain so the writer never blocks
				}
				return
			}
			b.reset()
			r.free <- b
		}
	}()
	var sel []byte
	for b := range r.work {
		if b.db >= 0 && b.db != c.db {
			b.selected = true
			sel = appendHeader(sel[:0], 2)
			sel = appendBulkString(sel, "SELECT")
			sel = appendBulkInt(sel, int64(b.db))
			c.db = b.db
		}
		select {
		case pending <- b:
		case <-r.ctx.Done():
		}
		if r.ctx.Err() != nil {
			break
		}
		if b.selected {
			if err := c.write(sel); err != nil {
				r.fail(&ioError{err})
				break
			}
		}
		if err := c.write(b.buf); err != nil {
			r.fail(&ioError{err})
			break
		}
	}
	close(pending)
	<-done
	for range r.work { // after a failure: let the reader finish
	}
}

// check reads the replies of one batch.
func (r *run) check(c *conn, b *batch) error {
	if b.selected {
		e, err := c.reply()
		if err != nil {
			return &ioError{err}
		}
		if e != "" {
			return &fatalError{fmt.Sprintf("SELECT %d: %s", b.db, e)}
		}
	}
	var ok, restored, native, fns int64
	for _, it := range b.items {
		var first replyError
		for range it.cmds {
			e, err := c.reply()
			if err != nil {
				return &ioError{err}
			}
			if e != "" && fatalReply(e) {
				return &fatalError{string(e)}
			}
			if first == "" {
				first = e
			}
		}
		switch {
		case first != "" && it.fn:
			r.failure("function library %s: %s", b.key(it), first)
		case first != "":
			r.failure("db%d %s: %s", b.db, b.key(it), first)
		case it.fn:
			fns++
		default:
			ok++
			if it.native {
				native++
			} else {
				restored++
			}
		}
	}
	r.acked.Add(ok)
	r.restored.Add(restored)
	r.native.Add(native)
	r.fns.Add(fns)
	if ok > 0 {
		r.mu.Lock()
		r.perDB[b.db] += ok
		r.mu.Unlock()
	}
	return nil
}
