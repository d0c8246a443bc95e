package rdb

import "fmt"

// Error is a malformed or truncated RDB file (or DUMP payload). Offset is the
// byte offset in the file where the problem was found.
type Error struct {
	Offset    int64
	Truncated bool   // the input ended early
	End       int64  // with Truncated: where the input ended
	What      string // what was expected or what is wrong
}

func (e *Error) Error() string {
	if e.Truncated {
		if e.End > e.Offset {
			return fmt.Sprintf("rdb: truncated at offset %d: expected %s; the input ends at offset %d", e.Offset, e.What, e.End)
		}
		return fmt.Sprintf("rdb: truncated at offset %d: expected %s", e.Offset, e.What)
	}
	return fmt.Sprintf("rdb: corrupt at offset %d: %s", e.Offset, e.What)
}

// ReadError is an I/O error from the underlying reader.
type ReadError struct {
	Offset int64
	Err    error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("rdb: read failed at offset %d: %v", e.Offset, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

func corrupt(off int64, format string, args ...any) error {
	return &Error{Offset: off, What: fmt.Sprintf(format, args...)}
}
