// Command hotstack-os is the helper the installed units call: the health
// gate (ExecStartPost of every container unit) and the host-infrastructure
// setup and cleanup (the infra oneshot). Mounted into every container, it
// is also the containers' entrypoint (`hotstack-os entrypoint SERVICE`) and
// their mount.nfs. Operators use mage instead.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hotstack-os/hotstack-os/internal/app"
	"github.com/hotstack-os/hotstack-os/internal/entrypoint"
	"github.com/hotstack-os/hotstack-os/internal/exitcode"
)

func main() { os.Exit(run()) }

func run() int {
	// Inside a container there is no .env and no settings to read.
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "entrypoint":
			if len(os.Args) < 3 {
				fmt.Fprintln(os.Stderr, "usage: hotstack-os entrypoint SERVICE [ARGS...]")
				return exitcode.Usage
			}
			// As PID 1 the entrypoint's supervisor alone handles signals: it
			// hands them on to the service and times the stop. A context
			// cancelled here on SIGTERM would race it and kill the service.
			return entrypoint.Run(context.Background(), os.Args[2], os.Args[3:])
		case "mount-nfs":
			if err := entrypoint.MountNFS(os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 32 // mount(8)'s "mount failure"
			}
			return 0
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.FromEnv()
	if err == nil {
		err = a.Helper(ctx, os.Args[1:])
	}
	if err != nil {
		app.PrintError(os.Stderr, a, err, "hotstack-os: ")
	}
	return exitcode.Code(err)
}
