// Package execx is the single seam through which hotstack-os runs external
// commands (podman, ovs-vsctl, exportfs, ip, systemctl, journalctl).
//
// Every call takes a context: cancelling it sends SIGTERM to the command's
// whole process group and SIGKILL one second later, so an interrupted run
// never leaves a child behind and nothing blocks uncancellably.
package execx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Command describes one external command.
type Command struct {
	Name  string
	Args  []string
	Stdin io.Reader
	// Env, when non-nil, is appended to the inherited environment.
	Env []string
	// Stdout and Stderr, when set, receive the output as it is written
	// (for long-running commands such as test suites); the Result then
	// holds only what was not streamed.
	Stdout, Stderr io.Writer
}

// String renders the command for messages. Arguments are shown as given;
// callers never put secrets on a command line, so this is safe to log.
func (c Command) String() string {
	return strings.TrimSpace(c.Name + " " + strings.Join(c.Args, " "))
}

// Result holds what a finished command wrote.
type Result struct {
	Stdout []byte
	Stderr []byte
}

// Runner runs commands. Run returns the command's output and, when it could
// not be started or exited non-zero, an error of type *Error.
type Runner interface {
	Run(ctx context.Context, cmd Command) (Result, error)
}

// Error reports a command that failed to start or exited non-zero.
type Error struct {
	Cmd      Command
	ExitCode int // -1 when the command did not run to completion
	Stderr   string
	Err      error
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		return fmt.Sprintf("%s: %v", e.Cmd.String(), e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", e.Cmd.String(), e.Err, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// ExitCode returns the exit status carried by err, or -1.
func ExitCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.ExitCode
	}
	return -1
}

// System runs commands on this host.
type System struct {
	// KillGrace is how long a cancelled command has between SIGTERM and
	// SIGKILL. Zero means one second.
	KillGrace time.Duration
}

// Run implements Runner.
func (s System) Run(ctx context.Context, c Command) (Result, error) {
	grace := s.KillGrace
	if grace == 0 {
		grace = time.Second
	}
	cmd := exec.CommandContext(ctx, c.Name, c.Args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// Negative pid: the whole process group, so grandchildren go too.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
	cmd.WaitDelay = grace
	if c.Env != nil {
		cmd.Env = append(cmd.Environ(), c.Env...)
	}
	cmd.Stdin = c.Stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if c.Stdout != nil {
		cmd.Stdout = c.Stdout
	}
	if c.Stderr != nil {
		cmd.Stderr = c.Stderr
	}
	err := cmd.Run()
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	if err == nil {
		return res, nil
	}
	if cmd.Process != nil {
		// Reap anything in the group that outlived the leader.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	code := -1
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		code = ee.ExitCode()
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return res, &Error{Cmd: c, ExitCode: code, Stderr: stderr.String(), Err: err}
}

// Output is a convenience for the common case: run name with args and return
// trimmed stdout.
func Output(ctx context.Context, r Runner, name string, args ...string) (string, error) {
	res, err := r.Run(ctx, Command{Name: name, Args: args})
	return strings.TrimSpace(string(res.Stdout)), err
}
