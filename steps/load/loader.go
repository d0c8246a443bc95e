// Package load puts an RDB file into the target: a verifying pass first,
// then a streamed RESTORE pipeline over several connections (or native
// commands where the target cannot take the payload), or, for a local
// target, the file placed in its data dir and a restart.
package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/steps/rdb"
	"github.com/cutover/cutover/steps/snapshot"
)

// Existing says what to do when the target already holds keys.
const (
	Refuse  = "refuse"  // stop before writing anything
	Replace = "replace" // RESTORE ... REPLACE over matching keys
	Flush   = "flush"   // FLUSHALL first
)

// Options tune a load.
type Options struct {
	Existing string      // Refuse (default), Replace or Flush
	DBMap    map[int]int // source db -> target db; unlisted dbs keep their number
	Conns    int         // connections (default 4)
	Now      func() time.Time
	Progress func(Progress)
	// ProgressEvery is the least time between progress reports (default
	// 250ms).
	ProgressEvery time.Duration
	Logf          func(format string, args ...any)
}

// Progress is reported while loading.
type Progress struct {
	Phase      string // "verify" or "load"
	Bytes      int64  // read from the file so far
	TotalBytes int64
	Keys       int64 // keys the target has acknowledged
	TotalKeys  int64 // keys in the file
	Rate       float64
	ETA        time.Duration
}

// Stats is the outcome of a load.
type Stats struct {
	Target    *Target
	Keys      int64         // keys written (acknowledged)
	Restored  int64         // of which by RESTORE
	Native    int64         // of which rebuilt with ordinary commands
	Expired   int64         // already expired in the file: skipped
	Failed    int64         // refused by the target
	Failures  []string      // the first few refusals, naming the key
	Warnings  []string      // what the target cannot hold, per key
	Functions int           // function libraries loaded
	PerDB     map[int]int64 // keys written per target db
	Bytes     int64
	Elapsed   time.Duration
}

const (
	batchBytes  = 256 << 10 // a batch is written when it reaches this
	batchCmds   = 2000
	keepBytes   = 4 << 20 // a batch buffer that grew beyond this is dropped after use
	inflight    = 2       // batches written but not yet answered, per connection
	maxFailures = 20
	maxWarnings = 200
)

func (o *Options) norm() {
	if o.Existing == "" {
		o.Existing = Refuse
	}
	if o.Conns <= 0 {
		o.Conns = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 250 * time.Millisecond
	}
}

func (o *Options) mapDB(db int) int {
	if t, ok := o.DBMap[db]; ok {
		return t
	}
	return db
}

// Load streams the RDB file at path into the target that control reaches
// (its primary). sum is the verified summary of the file (VerifyFile):
// nothing is written unless the file verified. Existing keys in the
// databases the file writes are refused unless o.Existing says otherwise.
func Load(ctx context.Context, control *redis.Client, path string, sum *rdb.Summary, o Options) (*Stats, error) {
	o.norm()
	start := time.Now()
	t, err := Probe(ctx, control)
	if err != nil {
		return nil, err
	}
	var dbs []int
	for _, d := range sum.DBs {
		if d.Keys > d.Expired && !slices.Contains(dbs, o.mapDB(d.DB)) {
			dbs = append(dbs, o.mapDB(d.DB))
		}
	}
	if busy := t.Busy(dbs); len(busy) > 0 {
		switch o.Existing {
		case Refuse:
			return nil, &NotEmptyError{Addr: t.Addr, Busy: busy}
		case Flush:
			o.Logf("FLUSHALL on %s (it held %s)", t.Addr, strings.Join(busy, ", "))
			fctx, cancel := context.WithTimeout(ctx, time.Minute)
			err := control.FlushAll(fctx).Err()
			cancel()
			if err != nil {
				return nil, fmt.Errorf("FLUSHALL on the target %s failed: %s", t.Addr, probes.Explain(err))
			}
		}
	}
	st, err := stream(ctx, control.Options(), path, sum, t, &o)
	if st != nil {
		st.Target, st.Elapsed = t, time.Since(start)
	}
	return st, err
}

// File verifies the RDB file at path (structure and CRC64, nothing is
// written if that fails) and then loads it with Load.
func File(ctx context.Context, control *redis.Client, path string, o Options) (*rdb.Summary, *Stats, error) {
	o.norm()
	sum, err := snapshot.VerifyFile(path, o.Now(), func(done, total int64) {
		if o.Progress != nil {
			o.Progress(Progress{Phase: "verify", Bytes: done, TotalBytes: total})
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("refusing to load: %v; nothing was written", err)
	}
	st, err := Load(ctx, control, path, sum, o)
	return sum, st, err
}

// NotEmptyError is the refusal to load into a target that holds keys.
type NotEmptyError struct {
	Addr string
	Busy []string
}

func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("the target %s already holds keys (%s): nothing was written; choose existing=replace to overwrite matching keys or existing=flush to empty it first", e.Addr, strings.Join(e.Busy, ", "))
}

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

func (b *batch) cmds() int {
	n := 0
	for _, it := range b.items {
		n += int(it.cmds)
	}
	return n
}

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
		o.Progress(Progress{Phase: "load", Bytes: st.Bytes, TotalBytes: sum.Bytes, Keys: st.Keys, TotalKeys: sum.Keys - sum.Expired})
	}
	return st, nil
}

// explain turns a stop into one line that says how far it got and that a
// re-run converges.
func (r *run) explain(err error, sum *rdb.Summary) error {
	done := fmt.Sprintf("after %d of %d keys", r.acked.Load(), sum.Keys-sum.Expired)
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

// read walks the file and fills batches.
func (r *run) read(rd *rdb.Reader, sum *rdb.Summary, st *Stats) error {
	o := r.o
	now := o.Now().UnixMilli()
	replace := o.Existing == Replace
	ver := [2]byte{byte(r.t.RDBVersion), byte(r.t.RDBVersion >> 8)}
	total := sum.Keys - sum.Expired
	start := time.Now()
	nextReport := start
	cur, ok := r.get()
	if !ok {
		return r.ctx.Err()
	}
	flush := func() bool {
		if len(cur.items) == 0 {
			return true
		}
		if !r.send(cur) {
			return false
		}
		cur, ok = r.get()
		return ok
	}
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if r.ctx.Err() != nil {
				return r.ctx.Err()
			}
			if now := time.Now(); o.Progress != nil && now.After(nextReport) {
				nextReport = now.Add(o.ProgressEvery)
				o.Progress(progressAt(rd.Offset(), sum.Bytes, r.acked.Load(), total, time.Since(start)))
			}
		}
		e, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch e.Kind {
		case rdb.FunctionEntry:
			if !flush() {
				return r.ctx.Err()
			}
			args := []any{"FUNCTION", "LOAD", e.Value}
			if o.Existing != Refuse {
				args = []any{"FUNCTION", "LOAD", "REPLACE", e.Value}
			}
			cur.buf, _ = appendCommand(cur.buf, args)
			cur.add([]byte(libraryName(e.Value)), 1, false, true)
			if !flush() {
				return r.ctx.Err()
			}
			continue
		case rdb.KeyEntry:
		default:
			continue
		}
		if e.ExpireMS >= 0 && e.ExpireMS <= now {
			st.Expired++
			continue
		}
		db := o.mapDB(e.DB)
		if cur.db != db && len(cur.items) > 0 && !flush() {
			return r.ctx.Err()
		}
		cur.db = db
		if rdb.RestorableOn(e.Type, r.t.RDBVersion) {
			cur.buf = appendRestore(cur.buf, e, ver, replace)
			cur.add(e.Key, 1, false, false)
		} else if err := r.rebuild(cur, e); err != nil {
			r.failure("db%d %s: %v", e.DB, printable(e.Key), err)
		}
		if len(cur.buf) >= batchBytes || len(cur.items) >= batchCmds {
			if !flush() {
				return r.ctx.Err()
			}
		}
	}
	if !flush() {
		return r.ctx.Err()
	}
	r.free <- cur
	return nil
}

// appendRestore encodes RESTORE key ttl payload [REPLACE] ABSTTL [IDLETIME
// s | FREQ f], building the DUMP payload in place: the type byte, the raw
// value, the target's RDB version and the CRC64 of those.
func appendRestore(b []byte, e *rdb.Entry, ver [2]byte, replace bool) []byte {
	n := 5
	if replace {
		n++
	}
	if e.Idle >= 0 {
		n += 2
	} else if e.Freq >= 0 {
		n += 2
	}
	b = appendHeader(b, n)
	b = appendBulkString(b, "RESTORE")
	b = appendBulk(b, e.Key)
	b = appendBulkInt(b, max(e.ExpireMS, 0))
	b = appendBulkLen(b, 1+len(e.Raw)+10)
	mark := len(b)
	b = append(b, e.Type)
	b = append(b, e.Raw...)
	b = append(b, ver[0], ver[1])
	crc := rdb.CRC64(0, b[mark:])
	b = append(b, byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24), byte(crc>>32), byte(crc>>40), byte(crc>>48), byte(crc>>56))
	b = append(b, '\r', '\n')
	if replace {
		b = appendBulkString(b, "REPLACE")
	}
	b = appendBulkString(b, "ABSTTL")
	if e.Idle >= 0 {
		b = appendBulkString(b, "IDLETIME")
		b = appendBulkInt(b, e.Idle)
	} else if e.Freq >= 0 {
		b = appendBulkString(b, "FREQ")
		b = appendBulkInt(b, int64(e.Freq))
	}
	return b
}

// rebuild rebuilds a key the target cannot RESTORE with ordinary commands,
// all in the current batch so they run in order on one connection.
func (r *run) rebuild(cur *batch, e *rdb.Entry) error {
	v, err := e.Decode()
	if err != nil {
		return err
	}
	mark := len(cur.buf)
	var cmds int32
	warnings, err := rdb.Commands(e.Key, v, e.ExpireMS, r.t.Caps, func(args []any) error {
		var err error
		cur.buf, err = appendCommand(cur.buf, args)
		cmds++
		return err
	})
	if err != nil {
		cur.buf = cur.buf[:mark]
		return err
	}
	for i, w := range warnings {
		warnings[i] = fmt.Sprintf("db%d: %s", e.DB, w)
	}
	r.warn(warnings)
	cur.add(e.Key, cmds, true, false)
	return nil
}

func progressAt(bytes, totalBytes, keys, totalKeys int64, elapsed time.Duration) Progress {
	p := Progress{Phase: "load", Bytes: bytes, TotalBytes: totalBytes, Keys: keys, TotalKeys: totalKeys}
	if s := elapsed.Seconds(); s > 0 {
		p.Rate = float64(keys) / s
		if bytes > 0 && totalBytes > bytes {
			p.ETA = time.Duration(float64(totalBytes-bytes) / (float64(bytes) / s) * float64(time.Second))
		}
	}
	return p
}

// libraryName reads the library name from a function's code header
// ("#!lua name=mylib").
func libraryName(code []byte) string {
	line, _, _ := strings.Cut(string(code[:min(len(code), 200)]), "\n")
	for _, f := range strings.Fields(line) {
		if name, ok := strings.CutPrefix(f, "name="); ok {
			return name
		}
	}
	return "(unnamed)"
}

// printable shows a key as is when it is plain text, else quoted.
func printable(b []byte) string {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("%q", b)
		}
	}
	return string(b)
}

// sortedDBs lists a per-db map's keys in order.
func sortedDBs(m map[int]int64) []int {
	dbs := make([]int, 0, len(m))
	for db := range m {
		dbs = append(dbs, db)
	}
	sort.Ints(dbs)
	return dbs
}
