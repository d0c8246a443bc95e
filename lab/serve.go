package lab

import (
	"context"
	"fmt"
	"io"
)

// Serve runs `cutover lab serve` in the foreground: it starts the lab,
// prints exactly one line, "lab ready: DIR/cutover.yaml", and keeps the lab
// up until ctx is done (the CLI cancels it on SIGINT/SIGTERM); then it
// stops everything and reaps every child.
func Serve(ctx context.Context, opts Options, stdout io.Writer) error {
	l, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "lab ready: %s\n", l.ConfigPath); err != nil {
		_ = l.Close()
		return fmt.Errorf("lab: write to stdout: %w", err)
	}
	<-ctx.Done()
	l.logf("stopping")
	return l.Close()
}
