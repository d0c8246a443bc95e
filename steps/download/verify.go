package download

import (
	"bufio"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/rdb"
)

// singlePartETag is an ETag that is the MD5 of the bytes (a multipart
// upload's ETag has a -N suffix and is not).
var singlePartETag = regexp.MustCompile(`^[0-9a-f]{32}$`)

func newHash(alg string) hash.Hash {
	switch alg {
	case "SHA256":
		return sha256.New()
	case "SHA1":
		return sha1.New()
	case "CRC32":
		return crc32.NewIEEE()
	case "CRC32C":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	}
	return nil
}

// check reads the downloaded file once: the RDB's structure and CRC64,
// and alongside the MD5 for a single-part ETag and any full-object
// checksum S3 stored. Every mismatch is an error naming the file.
func check(path string, o object, now time.Time, report func(runbook.Progress)) (*rdb.Summary, []runbook.Evidence, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the download: %w", err)
	}
	defer f.Close()
	hashes := map[string]hash.Hash{}
	etag := strings.Trim(o.etag, `"`)
	if singlePartETag.MatchString(etag) {
		hashes["MD5"] = md5.New()
	}
	for alg := range o.checksums {
		if h := newHash(alg); h != nil {
			hashes[alg] = h
		}
	}
	writers := make([]io.Writer, 0, len(hashes))
	for _, h := range hashes {
		writers = append(writers, h)
	}
	// Inspect may stop reading before the end of a damaged file; the rest
	// still goes through the hashes below.
	tee := io.TeeReader(f, io.MultiWriter(writers...))
	sum, err := rdb.Inspect(bufio.NewReaderSize(tee, 1<<20), now, func(p rdb.Progress) {
		report(runbook.Progress{Done: p.Bytes, Total: o.size, Unit: "bytes", Message: "verifying " + o.key})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%s (s3://%s/%s) is not a usable RDB file: %v", path, o.bucket, o.key, err)
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if sum.Bytes != o.size {
		return nil, nil, fmt.Errorf("%s has %d bytes after the RDB's end at byte %d: the object is not one RDB", path, o.size-sum.Bytes, sum.Bytes)
	}
	var ev []runbook.Evidence
	if h, ok := hashes["MD5"]; ok {
		got := hex.EncodeToString(h.Sum(nil))
		if got != etag {
			return nil, nil, fmt.Errorf("%s: MD5 %s does not match the object's ETag %s: the download is damaged; re-run migrate.download", path, got, etag)
		}
		ev = append(ev, runbook.Evidence{Name: "ETag (MD5)", Value: got, Want: etag, OK: true})
	} else {
		ev = append(ev, runbook.Evidence{Name: "ETag", Value: etag + " (multipart: not an MD5 of the bytes)", OK: true})
	}
	for alg, want := range o.checksums {
		h, ok := hashes[alg]
		if !ok {
			continue
		}
		got := base64.StdEncoding.EncodeToString(h.Sum(nil))
		if got != want {
			return nil, nil, fmt.Errorf("%s: %s %s does not match the object's %s: the download is damaged; re-run migrate.download", path, alg, got, want)
		}
		ev = append(ev, runbook.Evidence{Name: "checksum " + alg, Value: got, Want: want, OK: true})
	}
	return sum, ev, nil
}
