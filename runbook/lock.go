package runbook

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/gofrs/flock"
)

// Holder is who holds a journal's lock.
type Holder struct {
	PID      int       `json:"pid"`
	Host     string    `json:"host"`
	Operator string    `json:"operator"`
	Since    time.Time `json:"since"`
}

func (h Holder) String() string {
	return fmt.Sprintf("%s (pid %d on %s, since %s)", h.Operator, h.PID, h.Host, h.Since.Local().Format("2006-01-02 15:04:05"))
}

// LockedError says the journal is driven by another process.
type LockedError struct {
	Journal string
	Holder  *Holder
}

func (e *LockedError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("journal %s is locked by another cutover process; close it first", e.Journal)
	}
	return fmt.Sprintf("journal %s is driven by %s; close that console first, or attach to its tmux session", e.Journal, e.Holder)
}

// Lock keeps a second process from driving the same journal. The lock is
// an flock on JOURNAL.lock, so it dies with its process; the file also
// says who holds it.
type Lock struct {
	fl   *flock.Flock
	path string
}

// AcquireLock takes the journal's lock or says who holds it.
func AcquireLock(journal, operator string) (*Lock, error) {
	path := journal + ".lock"
	fl := flock.New(path)
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		return nil, &LockedError{Journal: journal, Holder: ReadHolder(journal)}
	}
	host, _ := os.Hostname()
	h := Holder{PID: os.Getpid(), Host: host, Operator: operator, Since: time.Now()}
	b, _ := json.Marshal(h)
	// Write through our own descriptor-independent path: truncate and
	// rewrite, the flock stays on the open file.
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		fl.Unlock()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{fl: fl, path: path}, nil
}

// ReadHolder reports who holds the journal's lock, or nil when nobody does.
func ReadHolder(journal string) *Holder {
	path := journal + ".lock"
	fl := flock.New(path)
	if ok, err := fl.TryLock(); err == nil && ok {
		fl.Unlock()
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var h Holder
	if json.Unmarshal(b, &h) != nil {
		return nil
	}
	return &h
}

// Release gives the lock up.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	return l.fl.Unlock()
}
