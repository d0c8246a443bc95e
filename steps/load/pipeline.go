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
	off, n     int32 // key name in batch.keys
	start, end int32 // its commands in batch.buf, sent again on a redirect
	cmds       int32
	native     bool
	fn         bool
}

func (b *batch) reset() {
	if cap(b.buf) > keepBytes {
		b.buf = make([]byte, 0, batchBytes+batchBytes/4)
	}
	b.buf, b.items, b.keys, b.db, b.selected = b.buf[:0], b.items[:0], b.keys[:0], -1, false
}

// add records the key whose commands are buf[start:].
func (b *batch) add(key []byte, start int, cmds int32, native, fn bool) {
	b.items = append(b.items, item{off: int32(len(b.keys)), n: int32(len(key)), start: int32(start), end: int32(len(b.buf)), cmds: cmds, native: native, fn: fn})
	b.keys = append(b.keys, key...)
}

func (b *batch) key(it item) string { return printable(b.keys[it.off : it.off+it.n]) }

// run is one load in progress: readers (one per file) fill batches for
// each destination primary, whose connections write them and check the
// replies.
type run struct {
	o      *Options
	t      *Target
	to     routing
	ctx    context.Context
	cancel context.CancelCauseFunc
	files  int

	free chan *batch

	dmu    sync.Mutex
	dests  []*dest
	byAddr map[string]*dest
	conns  []*conn // every connection, closed on cancel
	served sync.WaitGroup

	acked    atomic.Int64
	restored atomic.Int64
	native   atomic.Int64
	fns      atomic.Int64
	moved    atomic.Int64
	asked    atomic.Int64

	mu       sync.Mutex
	failed   int64
	failures []string
	warnings []string
	perDB    map[int]int64
	perNode  map[string]int64
	libs     map[string]bool // function libraries sent (a cluster gets each once)
}

// routing says where keys go.
type routing struct {
	addrs []string                         // the primaries to connect to first
	opt   func(addr string) *redis.Options // how to reach a node (auth, TLS)
	slots *slotMap                         // nil: every key to addrs[0]
	// migrating lists the slot migrations under way at the start, for
	// the progress reports.
	migrating []string
}

// dest is one primary the load writes to; its connections take batches
// from work.
type dest struct {
	idx  int
	addr string
	work chan *batch
}

// source is one file to load.
type source struct {
	path string
	sum  *rdb.Summary
}

// poolCap bounds the batches of a run (a chan of pointers: cheap).
const poolCap = 4096

func stream(ctx context.Context, to routing, files []source, t *Target, o *Options) (*Stats, error) {
	start := time.Now()
	r := &run{o: o, t: t, to: to, files: len(files), byAddr: map[string]*dest{}, perDB: map[int]int64{}, perNode: map[string]int64{}, libs: map[string]bool{}}
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	defer r.cancel(nil)
	// Closing the connections unblocks every read and write on cancel.
	stop := context.AfterFunc(r.ctx, r.closeAll)
	defer stop()
	defer r.closeAll()
	r.free = make(chan *batch, poolCap)
	for _, a := range to.addrs {
		if _, err := r.dest(a); err != nil {
			return nil, err
		}
	}
	var total, totalBytes int64
	for _, f := range files {
		total += f.sum.Loadable()
		totalBytes += f.sum.Bytes
	}
	offsets := make([]atomic.Int64, len(files))
	progress := func() Progress {
		var done int64
		for i := range offsets {
			done += offsets[i].Load()
		}
		p := progressAt(done, totalBytes, r.acked.Load(), total, time.Since(start))
		p.Migrating = to.migrating
		return p
	}
	ticker := r.report(progress)
	stats := make([]Stats, len(files))
	errs := make([]error, len(files))
	var readers sync.WaitGroup
	for i, f := range files {
		readers.Go(func() { errs[i] = r.readFile(f, &stats[i], &offsets[i]) })
	}
	readers.Wait()
	ticker()
	r.dmu.Lock()
	for _, d := range r.dests {
		close(d.work)
	}
	r.dmu.Unlock()
	r.served.Wait()
	st := &Stats{}
	for _, s := range stats {
		st.Expired += s.Expired
		st.Empty += s.Empty
		st.Bytes += s.Bytes
	}
	st.Keys, st.Restored, st.Native, st.Functions = r.acked.Load(), r.restored.Load(), r.native.Load(), int(r.fns.Load())
	st.Moved, st.Asked = r.moved.Load(), r.asked.Load()
	st.Failed, st.Failures, st.Warnings, st.PerDB, st.PerNode = r.failed, r.failures, r.warnings, r.perDB, r.perNode
	if to.slots != nil && len(r.dests) > 0 {
		st.Functions /= len(r.dests) // each library went to every primary
	}
	readErr := errors.Join(errs...)
	// A failure in a connection cancels the run with itself as the cause;
	// the readers then only see the cancellation.
	if cause := context.Cause(r.ctx); cause != nil && (readErr == nil || r.ctx.Err() != nil) {
		readErr = cause
	}
	if readErr != nil {
		return st, r.explain(readErr, total)
	}
	if o.Progress != nil {
		o.Progress(progress())
	}
	return st, nil
}

// report calls o.Progress every o.ProgressEvery until the returned stop.
func (r *run) report(progress func() Progress) (stop func()) {
	if r.o.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(r.o.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				r.o.Progress(progress())
			case <-done:
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func (r *run) readFile(f source, st *Stats, offset *atomic.Int64) error {
	in, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("cannot open the RDB file: %w", err)
	}
	defer in.Close()
	// The reader keeps its own buffer of a megabyte: reads that big
	// bypass this one.
	rd, err := rdb.NewReader(bufio.NewReaderSize(in, 64<<10))
	if err != nil {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	err = r.read(rd, f.sum, st, offset)
	st.Bytes = rd.Offset()
	offset.Store(st.Bytes)
	return err
}

// dest returns the destination for a primary, connecting to it the first
// time.
func (r *run) dest(addr string) (*dest, error) {
	r.dmu.Lock()
	d := r.byAddr[addr]
	r.dmu.Unlock()
	if d != nil {
		return d, nil
	}
	opt := r.to.opt(addr)
	var conns []*conn
	for range r.o.Conns {
		c, err := dialConn(r.ctx, opt)
		if err == nil && !r.track(c) {
			err = r.ctx.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("cannot connect to the target %s: %s", r.node(addr), probes.Explain(err))
		}
		conns = append(conns, c)
	}
	r.dmu.Lock()
	defer r.dmu.Unlock()
	if d := r.byAddr[addr]; d != nil { // another reader connected meanwhile
		for _, c := range conns {
			c.close()
		}
		return d, nil
	}
	d = &dest{idx: len(r.dests), addr: addr, work: make(chan *batch)}
	r.dests = append(r.dests, d)
	r.byAddr[addr] = d
	// Enough batches that every connection's in-flight ones and every
	// reader's current one can be out at once.
	for range r.o.Conns*(inflight+1) + r.files {
		r.free <- &batch{buf: make([]byte, 0, batchBytes+batchBytes/4), db: -1}
	}
	for _, c := range conns {
		r.served.Go(func() { r.serve(d, c) })
	}
	return d, nil
}

// track registers a connection to close on cancel; false when the run is
// over already (then it is closed).
func (r *run) track(c *conn) bool {
	r.dmu.Lock()
	defer r.dmu.Unlock()
	if r.ctx.Err() != nil {
		c.close()
		return false
	}
	r.conns = append(r.conns, c)
	return true
}

func (r *run) closeAll() {
	r.dmu.Lock()
	defer r.dmu.Unlock()
	for _, c := range r.conns {
		c.close()
	}
}

// node names a target node, with its slots on a cluster.
func (r *run) node(addr string) string {
	if r.to.slots == nil {
		return addr
	}
	if s := r.to.slots.of(addr); s != "" {
		return "node " + addr + " (slots " + s + ")"
	}
	return "node " + addr
}

// explain turns a stop into one line that says how far it got and that a
// re-run converges.
func (r *run) explain(err error, total int64) error {
	done := fmt.Sprintf("after %d of %d keys", r.acked.Load(), total)
	var fatal *fatalError
	var ioe *ioError
	switch {
	case errors.As(err, &fatal):
		return fmt.Errorf("the target %s refused the load %s: %s; fix that, then re-run the load with existing=replace: it overwrites what was written", r.node(fatal.addr), done, fatal.msg)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("load cancelled %s; re-running it with existing=replace converges (RESTORE REPLACE)", done)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("load ran out of time %s; re-running it with existing=replace converges (RESTORE REPLACE)", done)
	case errors.As(err, &ioe) && r.to.slots != nil:
		return fmt.Errorf("the target %s stopped answering %s (%s); when it is back or a replica has taken over its slots, re-run the load with existing=replace: it overwrites what was written", r.node(ioe.addr), done, probes.Explain(err))
	case errors.As(err, &ioe):
		return fmt.Errorf("the target %s stopped answering %s (%s); when it is back, re-run the load with existing=replace: it overwrites what was written", ioe.addr, done, probes.Explain(err))
	}
	return fmt.Errorf("load stopped %s: %w", done, err)
}

// ioError marks a failure talking to a target node.
type ioError struct {
	err  error
	addr string
}

func (e *ioError) Error() string { return e.err.Error() }
func (e *ioError) Unwrap() error { return e.err }

// fatalError is a reply that means every later command fails too.
type fatalError struct{ msg, addr string }

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

func (r *run) send(d *dest, b *batch) bool {
	select {
	case d.work <- b:
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

// serve writes d's batches to one connection and, alongside, checks their
// replies in order.
func (r *run) serve(d *dest, c *conn) {
	pending := make(chan *batch, inflight)
	done := make(chan struct{})
	go func() {
		defer close(done)
		hops := &hops{r: r}
		defer hops.close()
		for b := range pending {
			if err := r.check(c, b, hops); err != nil {
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
	for b := range d.work {
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
				r.fail(&ioError{err, c.addr})
				break
			}
		}
		if err := c.write(b.buf); err != nil {
			r.fail(&ioError{err, c.addr})
			break
		}
	}
	close(pending)
	<-done
	for range d.work { // after a failure: let the readers finish
	}
}

// check reads the replies of one batch; a key a cluster redirects is sent
// again where the redirect points before the next key's replies are read.
func (r *run) check(c *conn, b *batch, hops *hops) error {
	if b.selected {
		e, err := c.reply()
		if err != nil {
			return &ioError{err, c.addr}
		}
		if e != "" {
			return &fatalError{fmt.Sprintf("SELECT %d: %s", b.db, e), c.addr}
		}
	}
	var ok, restored, native, fns int64
	var redirected map[string]int64
	for _, it := range b.items {
		first, to, err := r.replies(c, it.cmds)
		if err != nil {
			return err
		}
		addr := c.addr
		if to != nil {
			if first, addr, err = hops.follow(b.buf[it.start:it.end], it.cmds, *to); err != nil {
				return err
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
			if addr != c.addr {
				if redirected == nil {
					redirected = map[string]int64{}
				}
				redirected[addr]++
			}
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
		for a, n := range redirected {
			r.perNode[a] += n
			ok -= n
		}
		r.perNode[c.addr] += ok
		r.mu.Unlock()
	}
	return nil
}

// replies reads n replies: the first per-key refusal, or where a cluster
// redirects the key.
func (r *run) replies(c *conn, n int32) (replyError, *redirect, error) {
	var first replyError
	var to *redirect
	for range n {
		e, err := c.reply()
		if err != nil {
			return "", nil, &ioError{err, c.addr}
		}
		if e == "" {
			continue
		}
		if red, ok := parseRedirect(e); ok && r.to.slots != nil {
			to = &red
			continue
		}
		if fatalReply(e) {
			return "", nil, &fatalError{string(e), c.addr}
		}
		if first == "" {
			first = e
		}
	}
	return first, to, nil
}
