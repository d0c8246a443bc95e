package replication

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/steps/rdb"
)

// replicateAndCount takes a snapshot and counts the keys in it.
func replicateAndCount(t *testing.T, addr, password string) (int64, []int64) {
	t.Helper()
	var buf bytes.Buffer
	var seen []int64
	n, err := Replicate(context.Background(), addr, password, &buf, func(done, total int64) { seen = append(seen, done, total) })
	if err != nil {
		t.Fatalf("Replicate: %v", err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("Replicate returned %d bytes, wrote %d", n, buf.Len())
	}
	sum, err := rdb.Inspect(&buf, time.Now(), nil)
	if err != nil {
		t.Fatalf("the snapshot does not read as an RDB: %v", err)
	}
	if sum.Checksum.Status != "verified" {
		t.Fatalf("checksum %+v", sum.Checksum)
	}
	return sum.Keys, seen
}

func TestReplicateDiskAndDiskless(t *testing.T) {
	for _, tc := range []struct {
		name      string
		conf      []string
		wantTotal bool // the disk format announces the length
	}{
		{"disk", []string{"repl-diskless-sync no"}, true},
		{"diskless", []string{"repl-diskless-sync yes", "repl-diskless-sync-delay 0"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := labtest.Redis(t, labtest.WithPassword("s3cret-pw"), labtest.WithConfig(tc.conf...))
			labtest.Fill(t, r, 3000)
			keys, seen := replicateAndCount(t, r.Addr(), r.Password)
			if keys != 3001 {
				t.Fatalf("snapshot holds %d keys, want 3001", keys)
			}
			if len(seen) < 2 {
				t.Fatal("no progress reported")
			}
			last, total := seen[len(seen)-2], seen[len(seen)-1]
			if tc.wantTotal && total != last {
				t.Fatalf("disk transfer: last progress %d of %d", last, total)
			}
			if !tc.wantTotal && (len(seen) < 4 || seen[1] != 0) {
				t.Fatalf("diskless transfer announced a total %d before the end", seen[1])
			}
		})
	}
}

func TestReplicateWrongPassword(t *testing.T) {
	t.Parallel()
	r := labtest.Redis(t, labtest.WithPassword("right"))
	_, err := Replicate(context.Background(), r.Addr(), "wrong", io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "AUTH") || strings.Contains(err.Error(), "wrong\"") {
		t.Fatalf("want an AUTH error without the password, got %v", err)
	}
}

func TestReplicateCancelled(t *testing.T) {
	t.Parallel()
	// A long diskless delay keeps the server from sending anything.
	r := labtest.Redis(t, labtest.WithConfig("repl-diskless-sync yes", "repl-diskless-sync-delay 30"))
	labtest.Fill(t, r, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Replicate(ctx, r.Addr(), "", io.Discard, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a deadline error, got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("cancel took %s", time.Since(start))
	}
}

// copyUntilMark must hold back a mark split across reads.
func TestCopyUntilMarkSplitReads(t *testing.T) {
	mark := []byte(strings.Repeat("m", 20) + strings.Repeat("k", 20))
	payload := bytes.Repeat([]byte("0123456789"), 30000)
	stream := append(append([]byte{}, payload...), mark...)
	var out bytes.Buffer
	n, err := copyUntilMark(&out, &oneByteThenChunks{data: stream}, mark, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(payload)) || !bytes.Equal(out.Bytes(), payload) {
		t.Fatalf("copied %d bytes, want %d (equal=%v)", n, len(payload), bytes.Equal(out.Bytes(), payload))
	}
	// Without the mark the stream is truncated: an error, not success.
	_, err = copyUntilMark(io.Discard, bytes.NewReader(payload), mark, nil)
	if err == nil || !strings.Contains(err.Error(), "end mark") {
		t.Fatalf("want a truncation error, got %v", err)
	}
}

// oneByteThenChunks returns reads of varying small sizes.
type oneByteThenChunks struct {
	data []byte
	i    int
}

func (r *oneByteThenChunks) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	r.i++
	n := min(len(p), len(r.data), 1+(r.i*7919)%5000)
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}
