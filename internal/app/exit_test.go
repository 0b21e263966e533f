package app

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestExitStatuses(t *testing.T) {
	cases := []struct {
		err  error
		code int
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitFailure},
		{ErrChangesPending, ExitChangesPending},
		{&usageError{"usage: x"}, ExitUsage},
		{fmt.Errorf("up: %w", context.Canceled), ExitInterrupted},
		{fmt.Errorf("wrapped: %w", &ExitError{Code: 3, Err: errors.New("x")}), 3},
	}
	for _, tc := range cases {
		if got := ExitCode(tc.err); got != tc.code {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
		err := exit(tc.err)
		if tc.err == nil {
			if err != nil {
				t.Errorf("exit(nil) = %v", err)
			}
			continue
		}
		// mage asserts the interface on the error itself.
		coded, ok := err.(interface{ ExitStatus() int })
		if !ok || coded.ExitStatus() != tc.code || err.Error() != tc.err.Error() {
			t.Errorf("exit(%v) = %#v", tc.err, err)
		}
	}
}

func TestRunReportsABrokenSetup(t *testing.T) {
	err := Run(func() (*App, error) { return nil, errors.New("HOTSTACK_LOGS_LINES: bad") }, (*App).Graph)
	if ExitCode(err) != ExitFailure {
		t.Fatalf("got %v", err)
	}
}
