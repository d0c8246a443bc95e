package load

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/servers"
)

func TestLoadSeededIntoEmptyTarget(t *testing.T) {
	t.Parallel()
	src, path := seeded(t, 20000)
	sum := verified(t, path)
	dst := labtest.Redis(t, labtest.WithPassword("dst-pw"))
	c := client(dst, 0)
	defer c.Close()
	var last Progress
	var mu sync.Mutex
	st, err := Load(context.Background(), c, path, sum, Options{Progress: func(p Progress) { mu.Lock(); last = p; mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	want := sum.Keys - sum.Expired
	if st.Keys != want || st.Restored != want || st.Native != 0 || st.Failed != 0 {
		t.Fatalf("stats %+v, want %d keys all restored", st, want)
	}
	if last.Keys != want || last.Bytes != sum.Bytes {
		t.Fatalf("last progress %+v, want %d keys and %d bytes", last, want, sum.Bytes)
	}
	if st.PerDB[0] == 0 || st.PerDB[3] != 50 {
		t.Fatalf("per db %v", st.PerDB)
	}
	sameData(t, src, dst, 0, 3)
}

func TestLoadExistingKeys(t *testing.T) {
	t.Parallel()
	src := labtest.Redis(t)
	s := client(src, 0)
	defer s.Close()
	ctx := context.Background()
	s.RPush(ctx, "list", "a", "b")
	s.Set(ctx, "shared", "from-source", 0)
	path := snapshotOf(t, src)
	sum := verified(t, path)

	dst := labtest.Redis(t)
	c := client(dst, 0)
	defer c.Close()
	c.Set(ctx, "shared", "on-target", 0)
	c.Set(ctx, "other", "kept", 0)

	_, err := Load(ctx, c, path, sum, Options{})
	var ne *NotEmptyError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "db0=2") || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("want a refusal naming db0=2, got %v", err)
	}
	if v := c.Get(ctx, "shared").Val(); v != "on-target" || dbsize(t, dst, 0) != 2 {
		t.Fatalf("the refused load changed the target: shared=%q, %d keys", v, dbsize(t, dst, 0))
	}

	if _, err := Load(ctx, c, path, sum, Options{Existing: Replace}); err != nil {
		t.Fatal(err)
	}
	// A second replace must not duplicate list elements.
	if _, err := Load(ctx, c, path, sum, Options{Existing: Replace}); err != nil {
		t.Fatal(err)
	}
	if v, n := c.Get(ctx, "shared").Val(), c.LLen(ctx, "list").Val(); v != "from-source" || n != 2 || c.Get(ctx, "other").Val() != "kept" {
		t.Fatalf("after replace: shared=%q list=%d other=%q", v, n, c.Get(ctx, "other").Val())
	}

	if _, err := Load(ctx, c, path, sum, Options{Existing: Flush}); err != nil {
		t.Fatal(err)
	}
	if c.Exists(ctx, "other").Val() != 0 || dbsize(t, dst, 0) != 2 {
		t.Fatalf("after flush the target holds %d keys", dbsize(t, dst, 0))
	}
}

func TestLoadDBMap(t *testing.T) {
	t.Parallel()
	src := labtest.Redis(t)
	ctx := context.Background()
	for db, k := range map[int]string{0: "zero", 2: "two"} {
		c := client(src, db)
		c.Set(ctx, k, k, 0)
		c.Close()
	}
	path := snapshotOf(t, src)
	dst := labtest.Redis(t)
	c := client(dst, 0)
	defer c.Close()
	if _, err := Load(ctx, c, path, verified(t, path), Options{DBMap: map[int]int{0: 5}}); err != nil {
		t.Fatal(err)
	}
	if dbsize(t, dst, 0) != 0 || dbsize(t, dst, 5) != 1 || dbsize(t, dst, 2) != 1 {
		t.Fatalf("db0=%d db5=%d db2=%d, want 0 1 1", dbsize(t, dst, 0), dbsize(t, dst, 5), dbsize(t, dst, 2))
	}
	// A database the target does not have stops the load with a clear error.
	_, err := Load(ctx, c, path, verified(t, path), Options{DBMap: map[int]int{0: 99}, Existing: Replace})
	if err == nil || !strings.Contains(err.Error(), "SELECT 99") || !strings.Contains(err.Error(), "refused the load") {
		t.Fatalf("want a SELECT refusal, got %v", err)
	}
}

// The target dies mid-load: a clear error, then a re-run with replace
// converges on the restarted server (which kept part of the load in its
// AOF).
func TestLoadTargetDownMidLoad(t *testing.T) {
	t.Parallel()
	src, path := seeded(t, 40000)
	sum := verified(t, path)
	conf := []string{"appendonly yes", "appendfsync always"}
	dst := labtest.Redis(t, labtest.WithPassword("dst-pw"), labtest.WithConfig(conf...))
	c := client(dst, 0)
	var once sync.Once
	_, err := Load(context.Background(), c, path, sum, Options{Conns: 2, ProgressEvery: time.Millisecond, Progress: func(p Progress) {
		if p.Keys > 2000 {
			once.Do(func() { dst.Kill() })
		}
	}})
	c.Close()
	if err == nil || !strings.Contains(err.Error(), "stopped answering after") || !strings.Contains(err.Error(), "re-run the load with existing=replace") {
		t.Fatalf("want a clear mid-load error, got %v", err)
	}
	<-dst.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	back, err := servers.StartRedis(ctx, servers.RedisConfig{Dir: dst.Dir, Host: dst.Host, Port: dst.Port, Password: dst.Password, Extra: conf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(back.Stop)
	if kept := dbsize(t, back, 0); kept == 0 {
		t.Fatal("the restarted target kept nothing: the re-run would not be tested against partial data")
	}
	c = client(back, 0)
	defer c.Close()
	if _, err := Load(context.Background(), c, path, sum, Options{Existing: Replace}); err != nil {
		t.Fatal(err)
	}
	sameData(t, src, back, 0, 3)
}

func TestLoadCancelled(t *testing.T) {
	t.Parallel()
	_, path := seeded(t, 20000)
	sum := verified(t, path)
	dst := labtest.Redis(t)
	c := client(dst, 0)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Load(ctx, c, path, sum, Options{ProgressEvery: time.Millisecond, Progress: func(p Progress) {
		if p.Keys > 0 {
			cancel()
		}
	}})
	if err == nil || !strings.Contains(err.Error(), "load cancelled after") {
		t.Fatalf("want a cancellation error, got %v", err)
	}
	if n := dbsize(t, dst, 0); n == 0 || n >= sum.Keys {
		t.Fatalf("the target holds %d of %d keys; want a partial load", n, sum.Keys)
	}
}
