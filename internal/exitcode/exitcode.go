// Package exitcode holds the exit statuses of hotstack-os's commands (the
// mage targets and the helper binary) and the one error type that carries
// a status. It imports nothing of the project, so the container helper and
// the application share it without linking each other.
package exitcode

import (
	"context"
	"errors"
)

// Exit statuses. Usage is never 2, so that a script can tell plan's
// "changes pending" from a wrong command line.
const (
	OK      = 0
	Failure = 1 // any other error
	// ChangesPending: `mage plan` found something to change (as
	// terraform plan -detailed-exitcode).
	ChangesPending = 2
	Usage          = 64  // the command line was wrong (EX_USAGE, sysexits.h)
	Interrupted    = 130 // Ctrl-C or SIGTERM (128 + SIGINT)
)

// ErrChangesPending is plan's result when something would change.
var ErrChangesPending = errors.New("changes pending")

// Error is an error with the exit status of the command that failed. mage
// exits with ExitStatus() when the error a target returns is one.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string   { return e.Err.Error() }
func (e *Error) Unwrap() error   { return e.Err }
func (e *Error) ExitStatus() int { return e.Code }

// UsageError is a wrong command line: msg is the usage text to print.
func UsageError(msg string) error { return &Error{Code: Usage, Err: errors.New(msg)} }

// Code is the exit status for err: 0 for nil, an Error's own code, 130 for
// an interrupt, 2 for pending changes, else 1.
func Code(err error) int {
	var e *Error
	switch {
	case err == nil:
		return OK
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, context.Canceled):
		return Interrupted
	case errors.Is(err, ErrChangesPending):
		return ChangesPending
	}
	return Failure
}

// Wrap returns err as an *Error carrying Code(err), nil for nil: mage
// looks for ExitStatus on the error itself, not on what it wraps.
func Wrap(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*Error); ok {
		return e
	}
	return &Error{Code: Code(err), Err: err}
}
