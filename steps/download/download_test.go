package download

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/internal/replication"
	"github.com/cutover/cutover/lab/awsstub"
	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/zone"
	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/snapshot"
)

// rdbBytes is a real RDB of about size bytes from a redis-server.
func rdbBytes(t *testing.T, size int) []byte {
	t.Helper()
	r := labtest.Redis(t)
	c := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer c.Close()
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(3, 4))
	p := c.Pipeline()
	for i := range size / 1000 {
		v := make([]byte, 1000)
		for j := range v {
			v[j] = byte(rnd.IntN(256))
		}
		p.Set(ctx, "k:"+strconv.Itoa(i), v, 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := replication.Replicate(ctx, r.Addr(), "", &buf, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type world struct {
	env *runbook.Env
	api *s3.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	labtest.AWSEnv(t)
	stub, err := awsstub.Start(awsstub.Config{ReplicationGroupID: "lab-cache", PrimaryEndpoint: "source.lab.internal:6379",
		Snapshot: func(context.Context, io.Writer) error { return nil },
		Info:     func(context.Context) (string, error) { return "", nil }, Zones: zone.NewStore(),
		Buckets: map[string]string{"lab-backups": "us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stub.Close() })
	dir := t.TempDir()
	cfg := &runbook.Config{Dir: dir, Journal: filepath.Join(dir, "cutover.journal"),
		Source: runbook.Endpoint{Kind: "elasticache"}, AWS: runbook.AWS{Region: "us-east-1", Endpoint: stub.URL()},
		S3: runbook.S3{Bucket: "lab-backups"}}
	api, err := probes.NewS3(context.Background(), cfg.AWS)
	if err != nil {
		t.Fatal(err)
	}
	st := runbook.NewState(runbook.New(), "elasticache", "sentinel")
	st.Facts[runbook.ExportBucket] = "lab-backups"
	return &world{env: &runbook.Env{Config: cfg, State: &st, Operator: "alice", Log: t.Logf}, api: api}
}

func (w *world) put(t *testing.T, key string, data []byte, multipart bool) {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String("lab-backups"), Key: aws.String(key), Body: bytes.NewReader(data)}
	var err error
	if multipart {
		_, err = manager.NewUploader(w.api, func(u *manager.Uploader) { u.PartSize = 5 << 20 }).Upload(context.Background(), in)
	} else {
		_, err = w.api.PutObject(context.Background(), in)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) run(t *testing.T, keys ...string) (runbook.Result, error) {
	w.env.State.Facts[runbook.ExportKeys] = strings.Join(keys, ",")
	return (&Executor{}).Run(context.Background(), w.env, func(runbook.Progress) {})
}

func evidence(res runbook.Result, name string) string {
	for _, e := range res.Evidence {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func TestDownloadChecksAndSummarises(t *testing.T) {
	w := newWorld(t)
	data := rdbBytes(t, 20<<20)
	w.put(t, "snap-0001.rdb", data, false)
	var seen []runbook.Progress
	w.env.State.Facts[runbook.ExportKeys] = "snap-0001.rdb"
	res, err := (&Executor{}).Run(context.Background(), w.env, func(p runbook.Progress) { seen = append(seen, p) })
	if err != nil || !res.OK {
		t.Fatalf("download: %+v, %v", res, err)
	}
	file := res.Outputs["file"]
	got, _ := os.ReadFile(file)
	if !bytes.Equal(got, data) {
		t.Fatalf("%s differs from the object (%d vs %d bytes)", file, len(got), len(data))
	}
	if evidence(res, "ETag (MD5)") == "" || !strings.HasPrefix(evidence(res, "checksum"), "verified") || evidence(res, "db0") == "" {
		t.Fatalf("evidence %+v", res.Evidence)
	}
	if res.Outputs["keys"] != strconv.Itoa((20<<20)/1000) {
		t.Fatalf("outputs %v", res.Outputs)
	}
	fetched := false
	for _, p := range seen {
		fetched = fetched || p.Unit == "bytes" && p.Done == int64(len(data)) && p.Total == p.Done && strings.HasPrefix(p.Message, "downloaded")
	}
	if !fetched {
		t.Fatalf("no progress reported the whole object downloaded: %+v", seen)
	}
	// Run again: the intact file is not fetched again.
	if res, err = w.run(t, "snap-0001.rdb"); err != nil || !res.OK {
		t.Fatalf("re-run: %+v, %v", res, err)
	}
	if v, err := (&Executor{}).Verify(context.Background(), w.env); err != nil || !v.OK {
		t.Fatalf("verify: %+v, %v", v, err)
	}
}

func TestDownloadMultipartAndShards(t *testing.T) {
	w := newWorld(t)
	data := rdbBytes(t, 12<<20)
	w.put(t, "snap-0001.rdb", data, true)
	w.put(t, "snap-0002.rdb", data, false)
	w.env.State.Facts[runbook.ExportKeys] = "snap-0001.rdb,snap-0002.rdb"
	// The shards download at once: one progress line sums their bytes.
	var mu sync.Mutex
	var last runbook.Progress
	res, err := (&Executor{}).Run(context.Background(), w.env, func(p runbook.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Total != int64(2*len(data)) || p.Done < last.Done {
			t.Errorf("progress %d of %d after %d", p.Done, p.Total, last.Done)
		}
		last = p
	})
	if err != nil || !res.OK {
		t.Fatalf("download: %+v, %v", res, err)
	}
	if last.Done != last.Total {
		t.Errorf("last progress %d of %d", last.Done, last.Total)
	}
	files := strings.Split(res.Outputs["files"], ",")
	if len(files) != 2 || !strings.HasSuffix(files[0], "snap-0001.rdb") || res.Outputs["keys"] != strconv.Itoa(2*((12<<20)/1000)) {
		t.Fatalf("outputs %v", res.Outputs)
	}
	for _, f := range files {
		if got, _ := os.ReadFile(f); !bytes.Equal(got, data) {
			t.Fatalf("%s differs from the object", f)
		}
	}
}

// S3's ETag of a multipart upload is no MD5 of the bytes (the stand-in
// gives a plain MD5 either way), and full-object checksums are compared.
func TestCheckETagKindsAndChecksums(t *testing.T) {
	data := rdbBytes(t, 1<<20)
	path := filepath.Join(t.TempDir(), "x.rdb")
	os.WriteFile(path, data, 0o600)
	o := object{bucket: "b", key: "x.rdb", size: int64(len(data)), etag: `"0123456789abcdef0123456789abcdef-3"`, checksums: map[string]string{}}
	_, ev, err := check(path, o, time.Now(), func(runbook.Progress) {})
	if err != nil || len(ev) != 1 || !strings.Contains(ev[0].Value, "multipart") {
		t.Fatalf("multipart ETag: %+v, %v", ev, err)
	}
	sum := sha256.Sum256(data)
	o.checksums["SHA256"] = base64.StdEncoding.EncodeToString(sum[:])
	if _, ev, err = check(path, o, time.Now(), func(runbook.Progress) {}); err != nil || len(ev) != 2 || !ev[1].OK {
		t.Fatalf("matching SHA256: %+v, %v", ev, err)
	}
	o.checksums["SHA256"] = base64.StdEncoding.EncodeToString(make([]byte, 32))
	if _, _, err = check(path, o, time.Now(), func(runbook.Progress) {}); err == nil || !strings.Contains(err.Error(), "SHA256") {
		t.Fatalf("wrong SHA256: %v", err)
	}
	o.checksums = map[string]string{}
	o.etag = `"00000000000000000000000000000000"`
	if _, _, err = check(path, o, time.Now(), func(runbook.Progress) {}); err == nil || !strings.Contains(err.Error(), "does not match the object's ETag") {
		t.Fatalf("wrong MD5: %v", err)
	}
}

func TestDownloadBadObjects(t *testing.T) {
	w := newWorld(t)
	_, err := w.run(t, "nothing-0001.rdb")
	if err == nil || !strings.Contains(err.Error(), "s3://lab-backups/nothing-0001.rdb does not exist") {
		t.Fatalf("missing object: %v", err)
	}
	data := rdbBytes(t, 1<<20)
	bad := bytes.Clone(data)
	bad[len(bad)/2] ^= 0xff
	w.put(t, "bad-0001.rdb", bad, false)
	_, err = w.run(t, "bad-0001.rdb")
	if err == nil || !strings.Contains(err.Error(), "not a usable RDB file") || !strings.Contains(err.Error(), "s3://lab-backups/bad-0001.rdb") {
		t.Fatalf("corrupt object: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(snapshot.Dir(w.env.Config), "*")); len(left) > 0 {
		t.Fatalf("a damaged download was left behind: %v", left)
	}
	w.put(t, "short-0001.rdb", data[:len(data)-100], false)
	if _, err = w.run(t, "short-0001.rdb"); err == nil || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("truncated object: %v", err)
	}
}

func TestProgressRateAndETA(t *testing.T) {
	p := progress(25<<20, 100<<20, 5*time.Second, "snap-0001.rdb")
	if p.Done != 25<<20 || p.Total != 100<<20 || p.Message != "downloading snap-0001.rdb, 5.0 MB/s, about 15s left" {
		t.Fatalf("%+v", p)
	}
}
