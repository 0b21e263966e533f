// Command hotstack-os is the helper the installed units call: the health
// gate (ExecStartPost of every container unit) and the host-infrastructure
// setup and cleanup (the infra oneshot). Operators use mage instead.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hotstack-os/hotstack-os/internal/app"
)

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.FromEnv()
	if err == nil {
		err = a.Helper(ctx, os.Args[1:])
	}
	if err != nil {
		app.PrintError(os.Stderr, a, err, "hotstack-os: ")
	}
	return app.ExitCode(err)
}
