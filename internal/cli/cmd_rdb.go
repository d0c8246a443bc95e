package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
	"github.com/cutover/cutover/steps/load"
	"github.com/cutover/cutover/steps/rdb"
	"github.com/cutover/cutover/steps/snapshot"
)

// rdbCmd works on RDB files outside the runbook.
type rdbCmd struct {
	Inspect rdbInspectCmd `cmd:"" help:"Summarise an RDB file: version, keys per db and type, expiries, biggest keys, what a load would not carry over; verifies the CRC64 and the encodings inside values."`
	Load    rdbLoadCmd    `cmd:"" help:"Load an RDB file into a Redis/Valkey server with the migrate.load pipeline."`
}

type rdbInspectCmd struct {
	File string `arg:"" type:"existingfile" help:"The .rdb file."`
	JSON bool   `help:"Print the summary as JSON."`
}

func (c *rdbInspectCmd) Run(s stdio) error {
	f, err := os.Open(c.File)
	if err != nil {
		return usageErr("%v", err)
	}
	defer f.Close()
	sum, ierr := rdb.Inspect(bufio.NewReaderSize(f, 1<<20), time.Now(), nil)
	if sum == nil {
		return failed(fmt.Errorf("%s: %v", c.File, ierr))
	}
	if c.JSON {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		printSummary(s, c.File, sum)
	}
	if ierr != nil {
		return failed(fmt.Errorf("%s is damaged: %v (the summary above covers what was read before)", c.File, ierr))
	}
	if err := snapshot.Trailing(c.File, sum); err != nil {
		return failed(err)
	}
	return nil
}

func printSummary(s stdio, file string, sum *rdb.Summary) {
	ev := snapshot.Evidence(sum)
	fmt.Fprintf(s.out, "%s\n", file)
	for _, e := range ev {
		fmt.Fprintf(s.out, "  %-20s %s\n", e.Name, e.Value)
	}
	keys := make([]string, 0, len(sum.Aux))
	for k := range sum.Aux {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(s.out, "  aux %-16s %s\n", k, sum.Aux[k])
	}
	for _, w := range sum.Warnings {
		fmt.Fprintf(s.out, "  warning: %s\n", w)
	}
}

type rdbLoadCmd struct {
	File        string        `arg:"" type:"existingfile" help:"The .rdb file."`
	Target      string        `required:"" placeholder:"URL" help:"The server: redis://host:port or rediss://host:port (no password in the URL)."`
	User        string        `help:"ACL username."`
	PasswordEnv string        `default:"REDISCLI_AUTH" placeholder:"NAME" help:"Environment variable holding the password, as redis-cli reads REDISCLI_AUTH (default); empty for none."`
	TLSCAFile   string        `name:"tls-ca-file" type:"existingfile" help:"CA certificate for rediss:// URLs."`
	Replace     bool          `help:"Overwrite keys that already exist (RESTORE REPLACE)."`
	Flush       bool          `help:"FLUSHALL the target first."`
	DBMap       string        `name:"db-map" placeholder:"SRC:DST,..." help:"Load source databases into other target databases, e.g. 0:1,3:2."`
	Conns       int           `default:"4" help:"Connections to the target."`
	Timeout     time.Duration `default:"6h" help:"Give up after this long."`
}

func (c *rdbLoadCmd) Run(s stdio) error {
	u, err := url.Parse(c.Target)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return usageErr("--target %q is not a redis:// or rediss:// URL", c.Target)
	}
	if _, ok := u.User.Password(); ok {
		return usageErr("--target holds a password; pass it through --password-env instead")
	}
	if c.Replace && c.Flush {
		return usageErr("give --replace or --flush, not both")
	}
	dbMap, err := parseDBMap(c.DBMap)
	if err != nil {
		return usageErr("--db-map: %v", err)
	}
	ep := runbook.Endpoint{Kind: "standalone", URL: c.Target, Username: c.User, TLS: runbook.TLS{CAFile: c.TLSCAFile}}
	if c.PasswordEnv != "" {
		ep.Secret = runbook.Secret{Env: c.PasswordEnv, Value: os.Getenv(c.PasswordEnv)}
	}
	existing := load.Refuse
	switch {
	case c.Replace:
		existing = load.Replace
	case c.Flush:
		existing = load.Flush
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	client := probes.Client(ep, "load", probes.Timeout(10*time.Second))
	defer client.Close()
	var last time.Time
	o := load.Options{Existing: existing, DBMap: dbMap, Conns: c.Conns,
		Logf: func(format string, args ...any) { fmt.Fprintf(s.err, format+"\n", args...) },
		Progress: func(p load.Progress) {
			if time.Since(last) < time.Second {
				return
			}
			last = time.Now()
			line := runbook.FormatProgress(runbook.Progress{Done: p.Bytes, Total: p.TotalBytes, Unit: "bytes"})
			if p.Phase == "load" {
				line += fmt.Sprintf(" - %d of %d keys, %.0f keys/s", p.Keys, p.TotalKeys, p.Rate)
			}
			fmt.Fprintf(s.err, "  %s: %s\n", p.Phase, line)
		}}
	_, st, err := load.File(ctx, client, c.File, o)
	if err != nil {
		var ne *load.NotEmptyError
		if errors.As(err, &ne) {
			return failed(fmt.Errorf("%s already holds keys (%s): nothing was written; pass --replace or --flush", ne.Addr, strings.Join(ne.Busy, ", ")))
		}
		return failed(err)
	}
	fmt.Fprintf(s.out, "%d keys loaded into %s in %s (%d by RESTORE, %d rebuilt with commands); %d already expired and %d empty, skipped; %d refused\n",
		st.Keys, st.Target.Addr, st.Elapsed.Round(time.Millisecond), st.Restored, st.Native, st.Expired, st.Empty, st.Failed)
	for _, w := range st.Warnings {
		fmt.Fprintf(s.out, "  warning: %s\n", w)
	}
	for _, f := range st.Failures {
		fmt.Fprintf(s.out, "  refused: %s\n", f)
	}
	if st.Failed > 0 {
		return failed(fmt.Errorf("the target refused %d keys", st.Failed))
	}
	return nil
}

// parseDBMap reads "0:1,3:2".
func parseDBMap(s string) (map[int]int, error) {
	m := map[int]int{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	for _, pair := range strings.Split(s, ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(pair), ":")
		a, err1 := strconv.Atoi(from)
		b, err2 := strconv.Atoi(to)
		if !ok || err1 != nil || err2 != nil || a < 0 || b < 0 {
			return nil, fmt.Errorf("%q is not SRC:DST with database numbers, e.g. 0:1", pair)
		}
		if _, dup := m[a]; dup {
			return nil, fmt.Errorf("database %d is mapped twice", a)
		}
		m[a] = b
	}
	return m, nil
}
