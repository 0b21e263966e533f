package app

import (
	"context"
	"errors"
)

// Exit statuses of hotstack-os commands.
const (
	ExitOK      = 0
	ExitFailure = 1 // any other error
	// ExitChangesPending: `mage plan` found something to change (as
	// terraform plan -detailed-exitcode).
	ExitChangesPending = 2
	ExitUsage          = 64  // the command line was wrong (EX_USAGE, sysexits.h): never 2, plan's "changes pending"
	ExitInterrupted    = 130 // Ctrl-C or SIGTERM (128 + SIGINT)
)

// Sentinel errors with their own exit status.
var (
	// ErrChangesPending is plan's result when something would change.
	ErrChangesPending = errors.New("changes pending")
	// ErrUsage marks a wrong command line.
	ErrUsage = errors.New("usage")
)

// ExitError is an error with the exit status of the command that failed.
// mage exits with ExitStatus(); so does the helper binary.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string   { return e.Err.Error() }
func (e *ExitError) Unwrap() error   { return e.Err }
func (e *ExitError) ExitStatus() int { return e.Code }

// usageError is a usage message that wraps ErrUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
func (e *usageError) Unwrap() error { return ErrUsage }

// ExitCode is the exit status for err: 0 for nil, an ExitError's own code,
// 130 for an interrupt, 2 for pending changes, 64 for usage, else 1.
func ExitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, ErrChangesPending):
		return ExitChangesPending
	case errors.Is(err, ErrUsage):
		return ExitUsage
	}
	return ExitFailure
}

// exit returns err as an *ExitError (mage looks at the error itself, not
// at what it wraps), nil for nil.
func exit(err error) error {
	if err == nil {
		return nil
	}
	if ee, ok := err.(*ExitError); ok {
		return ee
	}
	return &ExitError{Code: ExitCode(err), Err: err}
}
