package load

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cutover/cutover/rediscluster"
	"github.com/cutover/cutover/steps/rdb"
)

// walker is one file's reader: it fills a batch per destination.
type walker struct {
	r     *run
	curs  []*batch // by dest.idx; nil until a key goes there
	owner [rediscluster.Count]*dest
	gen   int64 // of the slot map owner was read from; -1: not yet
}

// route is the destination of a key: the primary serving its slot.
func (w *walker) route(key []byte) (*dest, error) {
	r := w.r
	m := r.to.slots
	if m == nil {
		return r.dests[0], nil
	}
	if g := m.gen.Load(); g != w.gen {
		owners, g := m.snapshot()
		for s, a := range owners {
			if w.owner[s] == nil || w.owner[s].addr != a {
				d, err := r.dest(a)
				if err != nil {
					return nil, err
				}
				w.owner[s] = d
			}
		}
		w.gen = g
	}
	return w.owner[rediscluster.Of(key)], nil
}

// batch is d's current batch, taken from the pool when there is none.
func (w *walker) batch(d *dest) (*batch, bool) {
	for len(w.curs) <= d.idx {
		w.curs = append(w.curs, nil)
	}
	if w.curs[d.idx] == nil {
		b, ok := w.r.get()
		if !ok {
			return nil, false
		}
		w.curs[d.idx] = b
	}
	return w.curs[d.idx], true
}

// flush hands d's current batch to its connections.
func (w *walker) flush(d *dest) bool {
	if d.idx >= len(w.curs) || w.curs[d.idx] == nil || len(w.curs[d.idx].items) == 0 {
		return true
	}
	b := w.curs[d.idx]
	w.curs[d.idx] = nil
	return w.r.send(d, b)
}

// finish flushes every batch; the unused ones go back to the pool.
func (w *walker) finish() bool {
	w.r.dmu.Lock()
	dests := slices.Clone(w.r.dests)
	w.r.dmu.Unlock()
	for _, d := range dests {
		if !w.flush(d) {
			return false
		}
	}
	for _, b := range w.curs {
		if b != nil {
			w.r.free <- b
		}
	}
	return true
}

// function loads a function library on every primary, once per run (each
// shard's file holds them all).
func (w *walker) function(code []byte) bool {
	r := w.r
	name := libraryName(code)
	r.mu.Lock()
	seen := r.libs[name]
	r.libs[name] = true
	r.mu.Unlock()
	if seen {
		return true
	}
	args := []any{"FUNCTION", "LOAD", code}
	if r.o.Existing != Refuse {
		args = []any{"FUNCTION", "LOAD", "REPLACE", code}
	}
	r.dmu.Lock()
	dests := slices.Clone(r.dests)
	r.dmu.Unlock()
	for _, d := range dests {
		if !w.flush(d) {
			return false
		}
		cur, ok := w.batch(d)
		if !ok {
			return false
		}
		mark := len(cur.buf)
		cur.buf, _ = appendCommand(cur.buf, args)
		cur.add([]byte(name), mark, 1, false, true)
		if !w.flush(d) {
			return false
		}
	}
	return true
}

// read walks the file and fills batches.
func (r *run) read(rd *rdb.Reader, sum *rdb.Summary, st *Stats, offset *atomic.Int64) error {
	o := r.o
	now := o.Now().UnixMilli()
	replace := o.Existing == Replace
	ver := uint16(r.t.RDBVersion)
	w := &walker{r: r, gen: -1}
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if r.ctx.Err() != nil {
				return r.ctx.Err()
			}
			offset.Store(rd.Offset())
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
			if !w.function(e.Value) {
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
		if e.Empty {
			st.Empty++
			r.warn([]string{fmt.Sprintf("db%d %s: empty %s in the file: skipped, as the server does when it loads the file (RESTORE refuses it)", e.DB, printable(e.Key), rdb.KindOf(e.Type))})
			continue
		}
		d, err := w.route(e.Key)
		if err != nil {
			return err
		}
		db := o.mapDB(e.DB)
		cur, ok := w.batch(d)
		if ok && cur.db != db && len(cur.items) > 0 {
			ok = w.flush(d)
			if ok {
				cur, ok = w.batch(d)
			}
		}
		if !ok {
			return r.ctx.Err()
		}
		cur.db = db
		if rdb.RestorableOn(e.Type, r.t.RDBVersion) {
			mark := len(cur.buf)
			cur.buf = appendRestore(cur.buf, e, ver, replace)
			cur.add(e.Key, mark, 1, false, false)
		} else if err := r.rebuild(cur, e); err != nil {
			r.failure("db%d %s: %v", e.DB, printable(e.Key), err)
		}
		if (len(cur.buf) >= batchBytes || len(cur.items) >= batchCmds) && !w.flush(d) {
			return r.ctx.Err()
		}
	}
	if !w.finish() {
		return r.ctx.Err()
	}
	return nil
}

// appendRestore encodes RESTORE key ttl payload [REPLACE] ABSTTL [IDLETIME
// s | FREQ f], building the DUMP payload in place: the type byte, the raw
// value, the target's RDB version and the CRC64 of those.
func appendRestore(b []byte, e *rdb.Entry, ver uint16, replace bool) []byte {
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
	b = rdb.AppendDumpPayload(b, e.Type, e.Raw, ver)
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
	cur.add(e.Key, mark, cmds, true, false)
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
