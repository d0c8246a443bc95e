package rdb

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/labtest"
)

var (
	benchOnce sync.Once
	benchData []byte
)

// benchRDB is an RDB of about 80 MB written by a real redis-server: 600k
// strings from DEBUG POPULATE plus hashes, lists, sets, sorted sets and
// streams of a few hundred elements each.
func benchRDB(b *testing.B) []byte {
	benchOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		srv := labtest.Redis(b, labtest.WithConfig("enable-debug-command yes"))
		c := dbClient(srv.Addr(), 0)
		defer c.Close()
		if err := c.Do(ctx, "DEBUG", "POPULATE", 600000, "key", 100).Err(); err != nil {
			b.Fatal(err)
		}
		pipe := c.Pipeline()
		for i := range 2000 {
			k := fmt.Sprint(i)
			h, l, s, z := []any{"HSET", "h:" + k}, []any{"RPUSH", "l:" + k}, []any{"SADD", "s:" + k}, []any{"ZADD", "z:" + k}
			for j := range 300 {
				h = append(h, fmt.Sprint("field:", j), fmt.Sprint("value:", i*j))
				l = append(l, fmt.Sprint("element:", j))
				s = append(s, fmt.Sprint("member:", j))
				z = append(z, j, fmt.Sprint("m:", j))
			}
			pipe.Do(ctx, h...)
			pipe.Do(ctx, l...)
			pipe.Do(ctx, s...)
			pipe.Do(ctx, z...)
			if i < 300 {
				for j := range 100 {
					pipe.Do(ctx, "XADD", "x:"+k, "*", "n", j, "payload", "some stream payload")
				}
			}
			if _, err := pipe.Exec(ctx); err != nil {
				b.Fatal(err)
			}
		}
		if err := c.Do(ctx, "SAVE").Err(); err != nil {
			b.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(srv.Dir, "dump.rdb"))
		if err != nil {
			b.Fatal(err)
		}
		benchData = data
	})
	if benchData == nil {
		b.Fatal("no benchmark RDB")
	}
	return benchData
}

// BenchmarkInspect: the target is at least 400 MB/s.
func BenchmarkInspect(b *testing.B) {
	data := benchRDB(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		sum, err := Inspect(bytes.NewReader(data), time.Now(), nil)
		if err != nil || sum.Keys < 600000 {
			b.Fatalf("%v %+v", err, sum)
		}
	}
}

// BenchmarkNext reads every record keeping the raw value bytes (what a
// RESTORE loader does before building payloads).
func BenchmarkNext(b *testing.B) {
	data := benchRDB(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
