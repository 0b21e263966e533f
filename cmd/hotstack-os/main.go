// Command hotstack-os is the helper the installed units call: the health
// gate (ExecStartPost of every container unit) and the host-infrastructure
// setup and cleanup (the infra oneshot). Operators use mage instead.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hotstack-os/hotstack-os/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cli.Helper(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hotstack-os:", err)
		var coded interface{ ExitStatus() int }
		if errors.As(err, &coded) {
			os.Exit(coded.ExitStatus())
		}
		os.Exit(1)
	}
}
