package snapshot

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/rdb"
)

// VerifyFile reads a whole RDB file: its structure, the compact encodings
// inside values and the CRC64. It returns the file's summary; a corrupt or
// truncated file, or one with bytes after the RDB's end, is an error naming
// the file and the offset (and the key, for a damaged value). progress gets
// bytes read so far and the file size.
func VerifyFile(path string, now time.Time, progress func(done, total int64)) (*rdb.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open the RDB file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot stat %s: %w", path, err)
	}
	var fn func(rdb.Progress)
	if progress != nil {
		fn = func(p rdb.Progress) { progress(p.Bytes, st.Size()) }
	}
	sum, err := rdb.Inspect(bufio.NewReaderSize(f, 1<<20), now, fn)
	if err != nil {
		return nil, fmt.Errorf("%s is not a usable RDB file: %w", path, err)
	}
	if err := Trailing(path, sum); err != nil {
		return nil, err
	}
	return sum, nil
}

// Trailing is the refusal of a file with bytes after the RDB's end, such
// as an AOF file with an RDB preamble; nil when there are none.
func Trailing(path string, sum *rdb.Summary) error {
	if sum.TrailingBytes == 0 {
		return nil
	}
	what := ""
	if sum.TrailingAOF {
		what = " (AOF commands: this is an AOF file with an RDB preamble, and the writes after it are not in the RDB part)"
	}
	return fmt.Errorf("%s has %d bytes after the RDB's end at byte %d%s: the file is not one RDB; load a dump.rdb (SAVE or BGSAVE), or its first %d bytes alone (head -c %d)",
		path, sum.TrailingBytes, sum.Bytes, what, sum.Bytes, sum.Bytes)
}

// TakenAt is when the RDB's data was captured: the ctime aux field its
// writer stamps when the save starts, in unix ms ("" when absent).
func TakenAt(sum *rdb.Summary) string {
	sec, err := strconv.ParseInt(sum.Aux["ctime"], 10, 64)
	if err != nil || sec <= 0 {
		return ""
	}
	return strconv.FormatInt(sec*1000, 10)
}

// Evidence renders an RDB summary as evidence rows: version and engine,
// checksum, keys per db and per type, expiring and already expired keys,
// the biggest keys, functions and module data.
func Evidence(sum *rdb.Summary) []runbook.Evidence {
	ev := []runbook.Evidence{
		{Name: "rdb version", Value: fmt.Sprintf("%d (%s)", sum.Version, sum.Header), OK: true},
		{Name: "written by", Value: orDash(sum.Engine), OK: true},
		{Name: "checksum", Value: strings.TrimSpace(sum.Checksum.Status + " " + sum.Checksum.Value), Want: "verified", OK: sum.Checksum.Status == "verified"},
		{Name: "size", Value: runbook.Amount(sum.Bytes, "bytes"), OK: true},
		{Name: "keys", Value: strconv.FormatInt(sum.Keys, 10), OK: true},
	}
	for _, db := range sum.DBs {
		ev = append(ev, runbook.Evidence{Name: fmt.Sprintf("db%d", db.DB),
			Value: fmt.Sprintf("%d keys, %d expiring, %d already expired", db.Keys, db.Expiring, db.Expired), OK: true})
	}
	kinds := make([]string, 0, len(sum.Kinds))
	for k := range sum.Kinds {
		kinds = append(kinds, string(k))
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		ev = append(ev, runbook.Evidence{Name: "type " + k, Value: strconv.FormatInt(sum.Kinds[rdb.Kind(k)], 10) + " keys", OK: true})
	}
	ev = append(ev,
		runbook.Evidence{Name: "expiring keys", Value: strconv.FormatInt(sum.Expiring, 10), OK: true},
		runbook.Evidence{Name: "already expired", Value: fmt.Sprintf("%d (skipped by the load)", sum.Expired), OK: true})
	if sum.Empty > 0 {
		ev = append(ev, runbook.Evidence{Name: "empty collections", Value: fmt.Sprintf("%d (skipped by the load, as the server does)", sum.Empty), OK: true})
	}
	for i, b := range sum.Biggest {
		if i == 5 {
			break
		}
		ev = append(ev, runbook.Evidence{Name: fmt.Sprintf("biggest #%d", i+1),
			Value: fmt.Sprintf("db%d %s (%s, %s)", b.DB, b.Key, b.Kind, runbook.Amount(b.Bytes, "bytes")), OK: true})
	}
	if len(sum.Functions) > 0 {
		var libs []string
		for _, f := range sum.Functions {
			libs = append(libs, f.Library)
		}
		ev = append(ev, runbook.Evidence{Name: "function libraries", Value: strings.Join(libs, ", "), OK: true})
	}
	for _, m := range sum.Modules {
		ev = append(ev, runbook.Evidence{Name: "module " + m.Name,
			Value: fmt.Sprintf("%d keys, %d aux records: the target needs this module loaded; aux records are not loaded", m.Keys, m.AuxRecords), OK: true})
	}
	return ev
}
