package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/cutover/cutover/lab"
	"github.com/cutover/cutover/lab/servers"
)

// labCmd is the practice lab: real servers, the AWS stand-in, DNS and a
// simulated application on loopback.
type labCmd struct {
	Console labConsoleCmd `cmd:"" default:"withargs" help:"Start the lab and the console against it; the lab stops when the console exits."`
	Serve   labServeCmd   `cmd:"" help:"Run the lab in the foreground; writes DIR/cutover.yaml and DIR/lab.env, stops on Ctrl-C or SIGTERM."`
}

type labFlags struct {
	Dir  string `default:".lab" help:"Directory the lab owns (servers' files, secrets, cutover.yaml, lab.env)." type:"path"`
	Keys int    `default:"200000" help:"Keys seeded into the source (0 for none)."`

	Serverless bool `help:"Make the source an ElastiCache Serverless cache: TLS only for cutover, no CONFIG, BGSAVE, LASTSAVE, CLIENT LIST or keyspace notifications; cutover.yaml gets source.kind elasticache-serverless." xor:"shape"`
	Cluster    bool `help:"Cluster mode: the source is a cluster-mode ElastiCache group (a Redis Cluster of 3 shards, each with a replica), the target a Redis Cluster of 3 primaries and 3 replicas; the app talks cluster protocol; cutover.yaml gets target.kind cluster." xor:"shape"`
}

func (f labFlags) options() lab.Options {
	keys := f.Keys
	if keys == 0 {
		keys = -1 // lab.Options: 0 is the default size, negative is none
	}
	return lab.Options{Dir: f.Dir, Keys: keys, Serverless: f.Serverless, Cluster: f.Cluster}
}

// labErr exits 2 when a server binary is missing (an install problem), 1
// for any other failure to start.
func labErr(err error) error {
	var missing *servers.MissingBinaryError
	if errors.As(err, &missing) {
		return &exitError{2, err}
	}
	if err != nil {
		return failed(err)
	}
	return nil
}

type labServeCmd struct{ labFlags }

func (c *labServeCmd) Run(s stdio) error {
	if c.Keys < 0 {
		return usageErr("--keys %d: give a count of 0 or more", c.Keys)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := c.options()
	opts.Log = s.err
	return labErr(lab.Serve(ctx, opts, s.out))
}

type labConsoleCmd struct {
	labFlags
	Operator string `help:"Who is at the keyboard (default: $CUTOVER_OPERATOR, $USER)."`
}

func (c *labConsoleCmd) Run(s stdio) error {
	if c.Keys < 0 {
		return usageErr("--keys %d: give a count of 0 or more", c.Keys)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	opts := c.options()
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return usageErr("lab: %v", err)
	}
	logf, err := os.OpenFile(filepath.Join(c.Dir, "lab.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return usageErr("lab: %v", err)
	}
	defer logf.Close()
	opts.Log = logf
	fmt.Fprintf(s.err, "starting the lab in %s (%d keys)…\n", c.Dir, c.Keys)
	l, err := lab.Start(ctx, opts)
	if err != nil {
		return labErr(err)
	}
	defer l.Close()
	return runConsole(ctx, configFlag{Config: l.ConfigPath}, c.Operator)
}
