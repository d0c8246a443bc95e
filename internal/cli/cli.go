// Package cli is cutover's command line: the subcommands, their flags, and
// the wiring of the runbook to this build's probes, steps and console.
package cli

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/alecthomas/kong"

	"github.com/cutover/cutover/probes"
	"github.com/cutover/cutover/runbook"
)

// version is set at build time with
// -ldflags "-X github.com/cutover/cutover/internal/cli.version=...".
var version = "dev"

// cli is the command line. Each command is a struct with a Run method.
type cli struct {
	Tui       tuiCmd       `cmd:"" default:"withargs" help:"The console (default): checklist, live INFO panes, metric mapping, confirm gates."`
	Plan      planCmd      `cmd:"" help:"Print every phase and step with its status and, for actions, the exact plan."`
	Run       runCmd       `cmd:"" help:"Run one step without the console (for rehearsals and scripts)."`
	Status    statusCmd    `cmd:"" help:"Print each step's state (--json for scripts)."`
	Report    reportCmd    `cmd:"" help:"Write the Markdown migration report from the journal."`
	Handoff   handoffCmd   `cmd:"" help:"Write what the next engineer needs (where the runbook stands, what runs, what to watch, decisions, what is left, the rollback deadline) as Markdown."`
	Cost      costCmd      `cmd:"" help:"Print the cost case (ElastiCache against self-managed, from the Price List API) without recording anything."`
	Rehearsal rehearsalCmd `cmd:"" help:"The change window's rehearsal: import a rehearsal's journal as the steps' budgets."`
	Lab       labCmd       `cmd:"" help:"The practice lab: real redis-server/redis-sentinel processes, an AWS stand-in, DNS and a simulated application on loopback."`
	Rdb       rdbCmd       `cmd:"" name:"rdb" help:"RDB file tools: inspect a file, load it into a server."`
	Version   versionCmd   `cmd:"" help:"Print the version."`
}

// exitError carries an exit code: 1 a failed check or action, 2 a usage or
// config error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{2, fmt.Errorf(format, args...)}
}

func failed(err error) error { return &exitError{1, err} }

// io the commands write to; tests swap them.
type stdio struct {
	out, err io.Writer
	in       io.Reader
}

// Main runs the command line args and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(args, stdio{stdout, stderr, stdin})
}

func run(args []string, s stdio) (code int) {
	// go-redis logs dial failures to stderr by itself; commands that keep
	// a log file send them there, the rest say what failed in one line.
	probes.LogRedisTo(func(string, ...any) {})
	var c cli
	exited := false
	parser, err := kong.New(&c,
		kong.Name("cutover"),
		kong.Description("A runbook console for moving a cache off AWS ElastiCache onto self-managed Redis/Valkey."),
		kong.Writers(s.out, s.err),
		kong.Exit(func(n int) { exited, code = true, n; panic(exitSignal{}) }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
	if err != nil {
		fmt.Fprintln(s.err, "cutover:", err)
		return 2
	}
	defer func() {
		// kong calls Exit after printing --help; unwind to here.
		if r := recover(); r != nil {
			if _, ok := r.(exitSignal); !ok || !exited {
				panic(r)
			}
		}
	}()
	// Without a config loaded, the redactor still removes URL credentials
	// and AWS keys from what an error quotes.
	var scrub *runbook.Redactor
	ctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintf(s.err, "cutover: %s (see cutover --help)\n", scrub.Scrub(err.Error()))
		return 2
	}
	if err := ctx.Run(s); err != nil {
		fmt.Fprintln(s.err, "cutover:", scrub.Scrub(err.Error()))
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return 2
	}
	return 0
}

type exitSignal struct{}

type versionCmd struct{}

func (versionCmd) Run(s stdio) error {
	v := version
	// `go install ...@v1.2.3` records the module version; `make build`
	// stamps the git commit with -ldflags.
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	fmt.Fprintf(s.out, "cutover %s\n", v)
	return nil
}
