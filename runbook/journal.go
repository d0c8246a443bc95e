package runbook

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Journal is the append-only JSON-lines record of every event. Each
// append is written whole and fsynced before it counts.
type Journal struct {
	path   string
	f      *os.File
	redact *Redactor
	seq    int
	end    int64 // offset after the last whole line
}

// Replay is what reading a journal found.
type Replay struct {
	Events []Event
	// Torn describes a last line cut short by a crash mid-write; it was
	// ignored (and is cut off when the journal is opened for writing).
	Torn string
	// validEnd is the offset after the last whole line.
	validEnd int64
}

// ReadJournal reads every event. A missing file is an empty journal. A
// torn last line is reported in Replay.Torn; a bad line anywhere else is
// an error naming its line number, since it means the file was edited or
// damaged and replaying around it could be wrong.
func ReadJournal(path string) (*Replay, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Replay{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	rep := &Replay{}
	var off int64
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("journal %s: %w", path, err)
		}
		if err == io.EOF {
			// No newline: a crash cut the last write short. The append
			// is not counted until its newline is on disk.
			rep.Torn = fmt.Sprintf("journal %s: last line (line %d, %d bytes at offset %d) is torn, probably by a crash mid-write; it was ignored", path, n, len(line), off)
			break
		}
		var ev Event
		perr := json.Unmarshal(bytes.TrimSpace(line), &ev)
		if perr != nil {
			return nil, fmt.Errorf("journal %s: line %d is not a valid event (%v); the file was damaged or edited by hand", path, n, perr)
		}
		rep.Events = append(rep.Events, ev)
		off += int64(len(line))
		rep.validEnd = off
	}
	return rep, nil
}

// OpenJournal opens a journal for appending, cutting off a torn last line
// so the next event starts on a line of its own.
func OpenJournal(path string, rep *Replay, redact *Redactor) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	if err := f.Truncate(rep.validEnd); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal %s: cutting off the torn line: %w", path, err)
	}
	if _, err := f.Seek(rep.validEnd, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	j := &Journal{path: path, f: f, redact: redact, end: rep.validEnd}
	if n := len(rep.Events); n > 0 {
		j.seq = rep.Events[n-1].Seq
	}
	return j, nil
}

// Append numbers, redacts, writes and fsyncs one event; it returns the
// event as written.
func (j *Journal) Append(ev Event) (Event, error) {
	ev.Seq = j.seq + 1
	b, err := json.Marshal(ev)
	if err != nil {
		return ev, fmt.Errorf("journal: encoding event: %w", err)
	}
	b = j.redact.ScrubBytes(b)
	// Check what redaction left before it is written: a line that does not
	// parse would make the whole journal unreadable on the next start.
	// What is handed back is what is on disk, so the state holds no secret.
	var written Event
	if err := json.Unmarshal(b, &written); err != nil {
		return ev, fmt.Errorf("journal: %s event for %s is not valid JSON once secrets are redacted (%v); nothing was written: use a longer, less common password", ev.Type, ev.Step, err)
	}
	if err := j.write(append(b, '\n')); err != nil {
		return ev, err
	}
	j.seq = ev.Seq
	return written, nil
}

// write appends and fsyncs one line. On failure it cuts the file back, so
// a half-written line cannot end up in the middle of the journal once a
// later append succeeds.
func (j *Journal) write(line []byte) error {
	_, err := j.f.Write(line)
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		if terr := j.f.Truncate(j.end); terr == nil {
			j.f.Seek(j.end, io.SeekStart)
		}
		return fmt.Errorf("journal %s: appending failed, nothing was recorded: %w", j.path, err)
	}
	j.end += int64(len(line))
	return nil
}

// Close closes the file.
func (j *Journal) Close() error { return j.f.Close() }

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }
