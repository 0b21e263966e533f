package health

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// Container probes a service by running its health command inside its
// container with `podman exec`. When the command cannot run, it asks podman
// for the container's state to tell "not ready yet" from "gone for good".
type Container struct {
	Runner execx.Runner
	Name   string
	Cmd    []string
	// MainPID, when non-zero, is the unit's `podman run` process (systemd
	// hands it to ExecStartPost as $MAINPID): once it has exited, the
	// container has too, whatever podman still reports.
	MainPID int
}

func (c Container) Probe(ctx context.Context) Result {
	if r, exited := mainExited(c.MainPID); exited {
		return r
	}
	// No event per probe: with podman's journald events backend every
	// exec would add two lines to the unit's journal.
	args := append([]string{"--events-backend=none", "exec", c.Name}, c.Cmd...)
	res, err := c.Runner.Run(ctx, execx.Command{Name: "podman", Args: args})
	out := strings.TrimSpace(string(res.Stdout) + string(res.Stderr))
	if err == nil {
		return Result{Healthy: true, Output: out}
	}
	if ctx.Err() != nil {
		return Result{Output: "probe timed out: " + out}
	}
	// Exit codes 125-127 are podman's own: exec could not run the command.
	if out == "" {
		out = err.Error()
	}
	if code := execx.ExitCode(err); code >= 125 || code < 0 {
		state, gone := c.state(ctx)
		if gone {
			return Result{Permanent: true, Output: state}
		}
		if state != "" {
			out += " (" + state + ")"
		}
	}
	return Result{Output: out}
}

// state reports the container's state and whether it can no longer become
// healthy (exited, stopped, or removed).
func (c Container) state(ctx context.Context) (string, bool) {
	res, err := c.Runner.Run(ctx, execx.Command{Name: "podman", Args: []string{"--events-backend=none", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", c.Name}})
	if err != nil {
		var e *execx.Error
		if errors.As(err, &e) && strings.Contains(strings.ToLower(e.Stderr), "no such") {
			// Normal before `podman run` has created it, and between a
			// crash and systemd's restart; an exited `podman run` is caught
			// through MainPID instead.
			return "container " + c.Name + " does not exist", false
		}
		return "", false
	}
	fields := strings.Fields(string(res.Stdout))
	if len(fields) == 0 {
		return "", false
	}
	switch fields[0] {
	case "exited", "stopped", "removing", "dead":
		code := ""
		if len(fields) > 1 {
			code = " with code " + fields[1]
		}
		return fmt.Sprintf("container %s has %s%s", c.Name, fields[0], code), true
	}
	return "container " + c.Name + " is " + fields[0], false
}

// MainPIDFromEnv returns $MAINPID, which systemd sets for ExecStartPost.
func MainPIDFromEnv() int {
	n, _ := strconv.Atoi(os.Getenv("MAINPID"))
	return n
}

// mainExited reports, for a unit's `podman run` process (0: not known),
// whether it has exited, and the permanent failure that is: the
// container has exited too, whatever podman still reports.
func mainExited(pid int) (Result, bool) {
	if pid <= 0 || processAlive(pid) {
		return Result{}, false
	}
	return Result{Permanent: true, Output: fmt.Sprintf("the container's podman process (pid %d) has exited", pid)}, true
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, rerr := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if rerr != nil {
		return err == nil
	}
	if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}
