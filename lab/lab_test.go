package lab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/redis/go-redis/v9"

	"github.com/cutover/cutover/lab/app"
	"github.com/cutover/cutover/lab/servers"
	"github.com/cutover/cutover/lab/zone"
	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// helperEnv makes the test binary a lab process for TestLabDiesWithParent.
const helperEnv = "CUTOVER_LAB_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		l, err := Start(context.Background(), Options{Dir: dir, Keys: 1000})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("block", l.Block.Prefix())
		time.Sleep(time.Hour) // until the parent test kills this process
	}
	os.Exit(m.Run())
}

func post(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Post(url, "", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %v %v", url, resp, err)
	}
	resp.Body.Close()
}

// waitApp waits up to 10 s for the application's status to satisfy ok.
func waitApp(t *testing.T, l *Lab, ok func(app.Status) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s := l.App.Status(); !ok(s); s = l.App.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("app still on %v (last error %q)", s.Conns, s.LastError)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runStragglers runs the cutover.stragglers check against the lab.
func runStragglers(t *testing.T, cfg *runbook.Config) runbook.Result {
	t.Helper()
	rb := runbook.New()
	if err := rb.Attach(probes.Checks()); err != nil {
		t.Fatal(err)
	}
	st := runbook.NewState(rb, cfg.Source.Kind, cfg.Target.Kind)
	res, err := rb.Step("cutover.stragglers").Exec.Run(context.Background(), &runbook.Env{Config: cfg, State: &st, Operator: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// logWriter sends the lab's progress lines to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func client(r *servers.Redis, password string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: r.Addr(), Password: password, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
}

func TestLabEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	begin := time.Now()
	l, err := Start(ctx, Options{Dir: dir, Log: logWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	ready := time.Since(begin)
	t.Cleanup(func() { _ = l.Close() })
	t.Logf("time to ready with %d keys: %s (goal: under 10s)", l.Keys, ready.Round(time.Millisecond))
	if ready > 30*time.Second {
		t.Errorf("time to ready %s", ready)
	}

	t.Run("servers answer with their own passwords", func(t *testing.T) {
		src := client(l.Source, l.Source.Password)
		defer src.Close()
		if n := src.DBSize(ctx).Val(); n < DefaultKeys {
			t.Errorf("source holds %d keys, want at least %d", n, DefaultKeys)
		}
		anon := client(l.Source, "")
		defer anon.Close()
		if err := anon.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
			t.Errorf("source without password: want NOAUTH, got %v", err)
		}
		wrong := client(l.Target, l.Source.Password)
		defer wrong.Close()
		if err := wrong.Ping(ctx).Err(); err == nil {
			t.Error("the target accepts the source's password")
		}
		tgt := client(l.Target, l.Target.Password)
		defer tgt.Close()
		if n := tgt.DBSize(ctx).Val(); n != 0 {
			t.Errorf("target holds %d keys, want none", n)
		}
		if v := tgt.ConfigGet(ctx, "appendonly").Val()["appendonly"]; v != "yes" {
			t.Errorf("target appendonly %q", v)
		}
		rep := client(l.Replica, l.Target.Password)
		defer rep.Close()
		if info := rep.Info(ctx, "replication").Val(); !strings.Contains(info, "master_link_status:up") {
			t.Errorf("replica link not up: %s", info)
		}
		s := redis.NewSentinelClient(&redis.Options{Addr: l.Sentinels[0].Addr(), Protocol: 2, DisableIdentity: true})
		defer s.Close()
		if got := s.GetMasterAddrByName(ctx, Master).Val(); !slices.Equal(got, []string{l.Target.Host, strconv.Itoa(l.Port)}) {
			t.Errorf("sentinel master %v, want the target", got)
		}
	})

	t.Run("the name resolves to the source", func(t *testing.T) {
		r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, l.DNS.Addr())
		}}
		ips, err := r.LookupIP(ctx, "ip4", CNAME)
		if err != nil || len(ips) != 1 || ips[0].String() != l.Source.Host {
			t.Fatalf("%s resolves to %v (%v), want %s", CNAME, ips, err, l.Source.Host)
		}
	})

	t.Run("files", func(t *testing.T) {
		cfg, err := runbook.LoadConfig(l.ConfigPath, func(string) string { return "" })
		if err != nil {
			t.Fatalf("the runbook refuses the lab's config: %v", err)
		}
		if cfg.Source.Secret.Value != l.Source.Password || cfg.Target.Secret.Value != l.Target.Password {
			t.Error("config passwords do not resolve to the servers' passwords")
		}
		if !slices.Equal(cfg.Target.Sentinel.Addrs, l.SentinelAddrs()) || cfg.DNS.Resolver != l.DNS.Addr() ||
			cfg.AWS.Endpoint != l.AWS.URL() || cfg.Lab == nil || cfg.Lab.ControlURL != l.ControlURL() ||
			cfg.Target.ExporterURL != l.Exporter.URL() {
			t.Errorf("config does not describe the lab: %+v", cfg)
		}
		if len(cfg.Target.Users) != len(Users) {
			t.Fatalf("target.users %+v, want %d users", cfg.Target.Users, len(Users))
		}
		for _, u := range cfg.Target.Users {
			if u.Secret.Value != l.UserPasswords[u.Name] || u.Secret.File != "secrets/"+u.Name+".pass" {
				t.Errorf("target.users %s does not resolve to its password file", u.Name)
			}
			for _, r := range []*servers.Redis{l.Source, l.Target, l.Replica} {
				// NOPERM on PING is a login: AUTH failed would be WRONGPASS.
				c := redis.NewClient(&redis.Options{Addr: r.Addr(), Username: u.Name, Password: u.Secret.Value, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
				err := c.Ping(ctx).Err()
				c.Close()
				if err != nil && !strings.HasPrefix(err.Error(), "NOPERM") {
					t.Errorf("%s cannot log in on %s: %v", u.Name, r.Addr(), err)
				}
			}
		}
		data, err := os.ReadFile(l.ConfigPath)
		if err != nil || strings.Contains(string(data), l.Source.Password) || strings.Contains(string(data), l.Target.Password) {
			t.Errorf("cutover.yaml holds a password (or is unreadable: %v)", err)
		}
		env := readEnv(t, l.EnvPath)
		want := map[string]string{
			"SOURCE_ADDR": l.Source.Addr(), "SOURCE_PASSWORD": l.Source.Password,
			"TARGET_PRIMARY_ADDR": l.Target.Addr(), "TARGET_REPLICA_ADDR": l.Replica.Addr(),
			"TARGET_PASSWORD": l.Target.Password, "SENTINEL_ADDRS": strings.Join(l.SentinelAddrs(), ","),
			"SENTINEL_MASTER": Master, "AWS_ENDPOINT_URL": l.AWS.URL(), "DNS_ADDR": l.DNS.Addr(),
			"CNAME": CNAME, "LAB_DIR": l.Dir, "EXPORTER_URL": l.Exporter.URL(),
		}
		for k, v := range want {
			if env[k] != v {
				t.Errorf("lab.env %s=%q, want %q", k, env[k], v)
			}
		}
		for _, p := range []string{l.EnvPath, filepath.Join(dir, "secrets", "source.pass"), filepath.Join(dir, "secrets", "target.pass")} {
			if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, %v; want 0600", p, st.Mode().Perm(), err)
			}
		}
	})

	t.Run("a second lab in the same dir is refused", func(t *testing.T) {
		_, err := Start(ctx, Options{Dir: dir, Keys: 10})
		if err == nil || !strings.Contains(err.Error(), "another lab is running") {
			t.Fatalf("want a refusal, got %v", err)
		}
	})

	t.Run("acknowledged writes are checked where the name points", func(t *testing.T) {
		waitApp(t, l, func(s app.Status) bool { return s.Sets > 0 })
		w, err := l.LostWrites(ctx)
		if err != nil || w.Server != SourceName || w.Checked == 0 || w.Lost != 0 {
			t.Fatalf("before any loss: %+v %v", w, err)
		}
		src := client(l.Source, l.Source.Password)
		defer src.Close()
		var key string
		for k := range l.App.Acked() {
			key = k
			break
		}
		if err := src.Del(ctx, key).Err(); err != nil {
			t.Fatal(err)
		}
		w, err = l.LostWrites(ctx)
		// The application may have written the key again meanwhile.
		if err != nil || (w.Lost != 1 && src.Exists(ctx, key).Val() == 0) {
			t.Fatalf("after deleting %s on the source: %+v %v", key, w, err)
		}
		t.Logf("lab application writes: %d keys checked, %d lost (%v)", w.Checked, w.Lost, w.Example)
	})

	t.Run("traffic moves after a CNAME change and a restart", func(t *testing.T) {
		st := labStatus(t, l)
		if len(st.Servers) != 7 || st.App.Ops == 0 || st.CNAME != SourceName+"." {
			t.Fatalf("status: %+v", st)
		}
		if st.App.Conns[l.Source.Addr()] == 0 {
			t.Fatalf("app not connected to the source: %v", st.App.Conns)
		}
		if err := l.Zones.Set(ZoneID, zone.Record{Name: CNAME, Type: zone.TypeCNAME, TTL: 30, Values: []string{TargetName}}); err != nil {
			t.Fatal(err)
		}
		// One pooled connection stays on the source: a straggler.
		post(t, l.ControlURL()+"app/restart?hold=1")
		waitApp(t, l, func(s app.Status) bool { return s.Conns[l.Target.Addr()] > 0 && s.Conns[l.Source.Addr()] == 1 })
		cfg, err := runbook.LoadConfig(l.ConfigPath, func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		cfg.Thresholds.StragglersQuiet.Duration, cfg.Thresholds.StragglersTimeout.Duration = time.Second, 3*time.Second
		res := runStragglers(t, cfg)
		if res.OK || !strings.Contains(res.Summary, "1 application connection(s) still on the source") ||
			!strings.Contains(res.Summary, "name "+app.ClientName+", lib -") {
			t.Fatalf("stragglers with a held connection: %+v", res)
		}
		t.Logf("cutover.stragglers: %s", res.Summary)
		post(t, l.ControlURL()+"app/release")
		if res := runStragglers(t, cfg); !res.OK {
			t.Fatalf("stragglers after the release: %+v", res)
		}
		waitApp(t, l, func(s app.Status) bool { return s.Conns[l.Target.Addr()] > 0 && s.Conns[l.Source.Addr()] == 0 })
		tgt := client(l.Target, l.Target.Password)
		defer tgt.Close()
		if list := tgt.ClientList(ctx).Val(); !strings.Contains(list, "name="+app.ClientName+" ") {
			t.Errorf("no %s connection on the target: %s", app.ClientName, list)
		}
	})

	t.Run("an ElastiCache snapshot exported to S3 is a real RDB of the source", func(t *testing.T) {
		ec, s3c := awsClients(l)
		name := aws.String("rehearsal")
		if _, err := ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String(ReplicationGroup), SnapshotName: name}); err != nil {
			t.Fatal(err)
		}
		waitAvailable(t, ec, name)
		if _, err := ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: name, TargetSnapshotName: aws.String("rehearsal-export"), TargetBucket: aws.String(Bucket)}); err != nil {
			t.Fatal(err)
		}
		waitAvailable(t, ec, name)
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(Bucket), Key: aws.String("rehearsal-export-0001.rdb")})
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(obj.Body)
		obj.Body.Close()
		if err != nil || !bytes.HasPrefix(body, []byte("REDIS0010")) || len(body) < 5<<20 {
			t.Fatalf("exported object: %d bytes starting %q (%v); want a Redis 7.0 RDB holding the 5 MB key", len(body), body[:min(len(body), 9)], err)
		}
	})

	pids := []int{l.Source.Pid(), l.Target.Pid(), l.Replica.Pid()}
	for _, s := range l.Sentinels {
		pids = append(pids, s.Pid())
	}
	if err := l.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	for _, pid := range pids {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			t.Errorf("pid %d still exists after Close", pid)
		}
	}
}

func awsClients(l *Lab) (*elasticache.Client, *s3.Client) {
	cfg := aws.Config{
		Region:                     Region,
		Credentials:                credentials.NewStaticCredentialsProvider("lab", "lab", ""),
		BaseEndpoint:               aws.String(l.AWS.URL()),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	return elasticache.NewFromConfig(cfg), s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

func waitAvailable(t *testing.T, ec *elasticache.Client, name *string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := ec.DescribeSnapshots(context.Background(), &elasticache.DescribeSnapshotsInput{SnapshotName: name})
		if err == nil && len(out.Snapshots) == 1 && aws.ToString(out.Snapshots[0].SnapshotStatus) == "available" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("snapshot %s not available: %+v %v", *name, out, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func labStatus(t *testing.T, l *Lab) Status {
	t.Helper()
	resp, err := http.Get(l.ControlURL() + "status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func readEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			env[k] = strings.Trim(v, "'")
		}
	}
	return env
}

// TestLabDiesWithParent SIGKILLs a process running a lab and checks that no
// server of its block survives it.
func TestLabDiesWithParent(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	prefix, ok := strings.CutPrefix(strings.TrimSpace(line), "block ")
	if err != nil || !ok {
		t.Fatalf("helper said %q (%v)", line, err)
	}
	if n := len(serversOf(prefix)); n != 7 { // six servers and the exporter
		t.Fatalf("%d servers of %s running, want 7", n, prefix)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := serversOf(prefix)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("servers of %s outlived their parent: pids %v", prefix, left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serversOf lists live (not zombie) redis processes whose title names an
// address of the block; Redis puts its address in its process title.
func serversOf(prefix string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !strings.Contains(string(cmdline), "redis-") || !strings.Contains(string(cmdline), prefix) {
			continue
		}
		if stat, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil {
			if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

func TestServePrintsOneLineAndTearsDown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, Options{Dir: dir, Keys: 500}, w); w.Close() }()
	rd := bufio.NewReader(r)
	line, err := rd.ReadString('\n')
	if want := "lab ready: " + filepath.Join(dir, "cutover.yaml") + "\n"; err != nil || line != want {
		t.Fatalf("Serve printed %q (%v), want %q", line, err, want)
	}
	env := readEnv(t, filepath.Join(dir, "lab.env"))
	host, _, _ := net.SplitHostPort(env["SOURCE_ADDR"])
	prefix := host[:strings.LastIndexByte(host, '.')+1] // 127.A.B.
	if n := len(serversOf(prefix)); n != 7 {            // six servers and the exporter
		t.Fatalf("%d servers of %s running, want 7", n, prefix)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if rest, _ := io.ReadAll(rd); len(rest) != 0 {
		t.Errorf("Serve printed more: %q", rest)
	}
	if left := serversOf(prefix); len(left) != 0 {
		t.Errorf("servers left after Serve returned: %v", left)
	}
}
