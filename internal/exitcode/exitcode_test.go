package exitcode

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestCodes(t *testing.T) {
	cases := []struct {
		err  error
		code int
	}{
		{nil, OK},
		{errors.New("boom"), Failure},
		{ErrChangesPending, ChangesPending},
		{fmt.Errorf("plan: %w", ErrChangesPending), ChangesPending},
		{UsageError("usage: x"), Usage},
		{fmt.Errorf("up: %w", context.Canceled), Interrupted},
		{fmt.Errorf("wrapped: %w", &Error{Code: 3, Err: errors.New("x")}), 3},
	}
	for _, tc := range cases {
		if got := Code(tc.err); got != tc.code {
			t.Errorf("Code(%v) = %d, want %d", tc.err, got, tc.code)
		}
		err := Wrap(tc.err)
		if tc.err == nil {
			if err != nil {
				t.Errorf("Wrap(nil) = %v", err)
			}
			continue
		}
		// mage asserts the interface on the error itself.
		coded, ok := err.(interface{ ExitStatus() int })
		if !ok || coded.ExitStatus() != tc.code || err.Error() != tc.err.Error() {
			t.Errorf("Wrap(%v) = %#v", tc.err, err)
		}
	}
}
