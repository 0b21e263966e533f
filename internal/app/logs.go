package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/exitcode"
	"github.com/hotstack-os/hotstack-os/internal/systemd"
	"github.com/hotstack-os/hotstack-os/internal/ui"
	"github.com/hotstack-os/hotstack-os/stack"
)

// Logs follows the journal of every hotstack-os unit, or of service's,
// interleaved by time, each line prefixed with its service.
// HOTSTACK_LOGS_LINES sets the history shown first, HOTSTACK_LOGS_FOLLOW=0
// prints it and returns.
func (a *App) Logs(ctx context.Context, service string) error {
	units := []string{"hotstack-os*"}
	if service != "" {
		if a.o.Stack.Get(service) == nil {
			return fmt.Errorf("unknown service %q; services: %s", service, strings.Join(a.o.Stack.Names(), ", "))
		}
		units = []string{stack.UnitName(service)}
	}
	return systemd.Follow(ctx, a.o.Runner, a.o.Stdout, systemd.FollowOptions{Units: units, Lines: a.o.LogsLines, Follow: a.o.LogsFollow, Notes: a.o.Stderr})
}

// LogsTarget is `mage logs`: the service is mage's optional flag
// (-service=keystone) or, as in `mage logs keystone`, the word after the
// target. mage would take that word for another target, so in that case
// the process ends here, with Logs' exit status.
func LogsTarget(service *string) Target {
	return func(a *App, ctx context.Context) error {
		arg, consumed := positionalArg(a.o.Args, "logs")
		if !consumed {
			name := ""
			if service != nil {
				name = *service
			}
			return a.Logs(ctx, name)
		}
		err := a.Logs(ctx, arg)
		if err != nil {
			ui.PrintError(a.o.Stderr, jsonErrors(a, err), err, "Error: ")
		}
		a.o.Exit(exitcode.Code(err))
		return err // when Exit returns (tests)
	}
}

// positionalArg returns the word after target in args (a command line with
// the program first), and whether there is one: mage's own optional
// arguments are flags (-service=keystone), and a bare word would be taken
// for another target.
func positionalArg(args []string, target string) (arg string, consumed bool) {
	if len(args) == 0 {
		return "", false
	}
	args = args[1:]
	for i, a := range args {
		if strings.EqualFold(a, target) && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			return args[i+1], true
		}
	}
	return "", false
}
