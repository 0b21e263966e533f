// Command hotstack-os is the helper the installed units call: the health
// gate (ExecStartPost of every container unit) and the host-infrastructure
// setup and cleanup (the infra oneshot). Operators use mage instead.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hotstack-os/hotstack-os/internal/app"
)

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := func() error {
		a, err := app.FromEnv()
		if err != nil {
			return err
		}
		return a.Helper(ctx, os.Args[1:])
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hotstack-os:", err)
	}
	return app.ExitCode(err)
}
