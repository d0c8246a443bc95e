// Command cutover is a terminal runbook console for moving a cache off AWS
// ElastiCache onto self-managed Redis/Valkey.
package main

import (
	"os"

	"github.com/cutover/cutover/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
