package lab

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/labtest"
	"github.com/cutover/cutover/lab/seed"
	"github.com/cutover/cutover/lab/servers"
)

func TestSnapshotRDBLoadsIntoAFreshServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := labtest.Redis(t, labtest.WithPassword("snap-pw"))
	c := redis.NewClient(&redis.Options{Addr: src.Addr(), Password: "snap-pw", Protocol: 2, DisableIdentity: true})
	defer c.Close()
	if err := seed.Seed(ctx, c, 2000, nil); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := SnapshotRDB(ctx, src.Addr(), "snap-pw", f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 9)
	if f, err := os.Open(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatal(err)
	} else {
		_, _ = f.Read(head)
		f.Close()
	}
	if !bytes.HasPrefix(head, []byte("REDIS00")) {
		t.Fatalf("not an RDB: %q", head)
	}

	loaded, err := servers.StartRedis(ctx, servers.RedisConfig{Dir: dir, Host: servers.PickBlock().Host(1), Extra: []string{"dbfilename dump.rdb"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(loaded.Stop)
	lc := redis.NewClient(&redis.Options{Addr: loaded.Addr(), Protocol: 2, DisableIdentity: true})
	defer lc.Close()
	if n := lc.DBSize(ctx).Val(); n != 2000 {
		t.Fatalf("the snapshot loaded %d keys, want 2000", n)
	}
}

func TestSnapshotRDBWrongPassword(t *testing.T) {
	t.Parallel()
	src := labtest.Redis(t, labtest.WithPassword("right"))
	err := SnapshotRDB(context.Background(), src.Addr(), "wrong", &bytes.Buffer{})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("WRONGPASS")) {
		t.Fatalf("want WRONGPASS, got %v", err)
	}
}
