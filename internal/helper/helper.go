// Package helper is the command line of the helper binary,
// /usr/local/bin/hotstack-os: what the installed units run on the host
// (the health gate, the infra oneshot) and, mounted read-only into every
// container, what runs there (PID 1's entrypoint, mount.nfs). One table
// holds the commands; the usage text is made from it.
//
// The binary is mounted into every container, so it links only what these
// commands need: never the application layer (internal/app) with its image
// builder, test runner and OpenStack clients. A test in cmd/hotstack-os
// holds that.
package helper

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/internal/entrypoint"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/exitcode"
	"github.com/hotstack-os/hotstack-os/internal/settings"
	"github.com/hotstack-os/hotstack-os/internal/ui"
	"github.com/hotstack-os/hotstack-os/stack"
)

// mountFailure is mount(8)'s status for a failed mount, which mount.nfs's
// callers (mount, os-brick) expect.
const mountFailure = 32

// command is one of the helper's commands.
type command struct {
	name     string
	synopsis string // its arguments, for the usage text
	about    string
	// minArgs and maxArgs bound the number of arguments; maxArgs -1 is
	// no bound.
	minArgs, maxArgs int
	// verbs, when set, are the values the first argument may take.
	verbs []string
	// run runs the command and returns the exit status; it writes its
	// messages to stderr.
	run func(stderr io.Writer, args []string) int
}

// commands is the helper's command table.
var commands = []command{
	{name: "health-gate", synopsis: "SERVICE [ADDR:PORT]", minArgs: 1, maxArgs: 2,
		about: "wait until SERVICE's container is healthy (unit ExecStartPost); with ADDR:PORT, " +
			"probe inside only once the port accepts connections",
		run: onHost(healthGate)},
	{name: "infra", synopsis: "setup|cleanup", minArgs: 1, maxArgs: 1, verbs: []string{"setup", "cleanup"},
		about: "set up or clean up the host infrastructure (the infra oneshot)",
		run:   onHost(infra)},
	{name: "entrypoint", synopsis: "SERVICE [ARGS...]", minArgs: 1, maxArgs: -1,
		about: "PID 1 of a HotStack-OS container (run inside the container)",
		run:   runEntrypoint},
	{name: "mount-nfs", synopsis: "HOST:/PATH MOUNTPOINT [OPTIONS...]", minArgs: 2, maxArgs: -1,
		about: "the containers' mount.nfs: a bind mount of the exported directory",
		run:   mountNFS},
}

// Main runs the helper's command line (args without the program name) and
// returns the process's exit status: 0 ok, 1 failure, 64 a wrong command
// line (exitcode), or the status a command passes on (the service's main
// process for entrypoint, mount(8)'s for mount-nfs).
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && slices.Contains([]string{"help", "-h", "-help", "--help"}, args[0]) {
		fmt.Fprint(stdout, usage())
		return exitcode.OK
	}
	c, err := lookup(args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitcode.Code(err)
	}
	return c.run(stderr, args[1:])
}

// lookup returns the command args[0] names, or a usage error when there is
// no such command or its arguments do not fit it.
func lookup(args []string) (command, error) {
	if len(args) == 0 {
		return command{}, exitcode.UsageError(strings.TrimSuffix(usage(), "\n"))
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		n := len(args) - 1
		if n < c.minArgs || c.maxArgs >= 0 && n > c.maxArgs || c.verbs != nil && !slices.Contains(c.verbs, args[1]) {
			return command{}, exitcode.UsageError("usage: hotstack-os " + c.name + " " + c.synopsis)
		}
		return c, nil
	}
	return command{}, exitcode.UsageError(fmt.Sprintf("hotstack-os: unknown command %q\n%s", args[0], strings.TrimSuffix(usage(), "\n")))
}

// usage lists every command of the table.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: hotstack-os COMMAND [ARGS...]\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %s %s\n      %s\n", c.name, c.synopsis, c.about)
	}
	return b.String()
}

// runEntrypoint is PID 1 of a container. It gets no context that signals
// cancel: the entrypoint's supervisor alone handles signals, handing them
// on to the service and timing the stop, and such a context would race it
// and kill the service.
func runEntrypoint(_ io.Writer, args []string) int {
	return entrypoint.Run(context.Background(), args[0], args[1:])
}

func mountNFS(stderr io.Writer, args []string) int {
	if err := entrypoint.MountNFS(args); err != nil {
		fmt.Fprintln(stderr, err)
		return mountFailure
	}
	return exitcode.OK
}

// hostRun is what a command run by a unit on the host works with.
type hostRun struct {
	settings.Settings
	Stack  *stack.Stack
	Runner execx.Runner
	Log    zerolog.Logger
}

// onHost runs fn as a unit's command on the host: with the HOTSTACK_*
// switches, a logger shaped for where the output goes (the journal), and
// a context that SIGINT or SIGTERM (systemd stopping the unit) cancels.
// It prints fn's error, as JSON when the switches ask for JSON.
func onHost(fn func(ctx context.Context, r *hostRun, args []string) error) func(stderr io.Writer, args []string) int {
	return func(stderr io.Writer, args []string) int {
		s, err := settings.FromEnv()
		if err == nil {
			var st *stack.Stack
			if st, err = stack.Default(); err == nil {
				ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
				defer stop()
				r := &hostRun{Settings: s, Stack: st, Runner: execx.System{}, Log: ui.NewLogger(stderr, ui.DetectFormat(s.JSONLogs))}
				err = fn(ctx, r, args)
			}
		}
		if err != nil {
			ui.PrintError(stderr, s.JSON(), err, "hotstack-os: ")
		}
		return exitcode.Code(err)
	}
}
