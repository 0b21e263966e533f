// Package cli is the operator-facing layer between the magefile (and the
// helper binary) and the packages that do the work: it builds the logger,
// the options and a cancellable context, and turns errors into exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/deploy"
	"github.com/hotstack-os/hotstack-os/ui"
)

// ExitError carries an exit status to mage (which honours ExitStatus) and
// to the helper binary.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string   { return e.Err.Error() }
func (e *ExitError) Unwrap() error   { return e.Err }
func (e *ExitError) ExitStatus() int { return e.Code }

// exit maps an error to an ExitError: 130 for an interrupt, the deploy
// failure's own code, else 1.
func exit(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return &ExitError{Code: ExitInterrupted, Err: err}
	}
	var f *deploy.Fail
	if errors.As(err, &f) {
		return &ExitError{Code: f.Code, Err: err}
	}
	return &ExitError{Code: ExitFailure, Err: err}
}

// session is what every command starts from.
type session struct {
	ctx  context.Context
	stop context.CancelFunc
	log  zerolog.Logger
	opts deploy.Options
}

// begin returns a context cancelled by Ctrl-C or SIGTERM: mage forwards
// neither to targets, so each command listens itself.
func begin() *session {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	log := ui.NewLogger(os.Stderr, ui.DetectFormat())
	return &session{ctx: ctx, stop: stop, log: log, opts: deploy.FromEnv(log)}
}

// Install renders and installs the units, config and helper.
func Install() error {
	s := begin()
	defer s.stop()
	_, err := deploy.Install(s.ctx, s.opts)
	return exit(err)
}

// Uninstall removes what install wrote.
func Uninstall() error {
	s := begin()
	defer s.stop()
	return exit(deploy.Uninstall(s.ctx, s.opts))
}

// Config renders the configuration templates into the data directory.
func Config() error {
	s := begin()
	defer s.stop()
	return exit(deploy.RenderConfig(s.opts))
}

// Check validates the config and the images without writing anything.
func Check() error {
	s := begin()
	defer s.stop()
	return exit(deploy.Check(s.ctx, s.opts))
}

// ExitCode is the exit status for err (0 for nil), printing the error.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(os.Stderr, "Error:", err)
	var ee *ExitError
	if errors.As(exit(err), &ee) {
		return ee.Code
	}
	return ExitFailure
}
