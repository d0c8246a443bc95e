package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cutover/cutover/report"
	"github.com/cutover/cutover/runbook"
)

type reportCmd struct {
	configFlag
	Output string `short:"o" help:"Write the report to this file instead of stdout." type:"path"`
}

// Run writes the Markdown migration report of the config's journal. It
// reads the journal without taking its lock, so it works while the
// console runs.
func (c *reportCmd) Run(s stdio) error {
	cfg, err := c.load()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, cfg, runbook.New(), time.Now()); err != nil {
		return &exitError{2, err}
	}
	if c.Output == "" {
		_, err := s.out.Write(buf.Bytes())
		return err
	}
	if err := writeFileAtomic(c.Output, buf.Bytes()); err != nil {
		return failed(fmt.Errorf("report: %w", err))
	}
	fmt.Fprintf(s.out, "report written to %s\n", c.Output)
	return nil
}

// writeFileAtomic replaces path whole or not at all; the report names the
// infrastructure, so it is readable by its owner only.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
