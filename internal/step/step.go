// Package step is how hotstack-os changes a machine: each step checks what
// it would change and applies only that. Setup applies the steps whose
// check reports a change; `mage plan` prints those changes. Both go through
// Check, so what plan shows and what setup does cannot disagree.
package step

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"
)

// Step is one idempotent piece of setup, install or cleanup.
type Step struct {
	Name string
	// Check reports what Apply would change, or nil when nothing; it
	// changes nothing itself.
	Check func(ctx context.Context) (*Change, error)
	// Apply makes the change. It is called only after Check reported one.
	Apply func(ctx context.Context) error
}

// Summary is what a run did, by step name.
type Summary struct {
	Changed, Unchanged []string
}

// Run checks each step in order and applies it when its check reports a
// change. report, when non-nil, is told each step's outcome (c is nil for an
// unchanged step). The first error stops the run; it names the step.
func Run(ctx context.Context, steps []Step, report func(s Step, c *Change)) (Summary, error) {
	var sum Summary
	for _, s := range steps {
		c, err := s.Check(ctx)
		if err == nil && c != nil {
			err = s.Apply(ctx)
		}
		if err != nil {
			return sum, fmt.Errorf("%s: %w", s.Name, err)
		}
		if c != nil {
			sum.Changed = append(sum.Changed, s.Name)
		} else {
			sum.Unchanged = append(sum.Unchanged, s.Name)
		}
		if report != nil {
			report(s, c)
		}
	}
	return sum, nil
}

// Logged is a report for Run that logs each step's outcome as
// step=NAME changed|unchanged.
func Logged(log zerolog.Logger) func(Step, *Change) {
	return func(s Step, c *Change) {
		state := "unchanged"
		if c != nil {
			state = "changed"
		}
		log.Info().Str("step", s.Name).Msg(state)
	}
}

// Changes returns what the steps would change, applying nothing.
func Changes(ctx context.Context, steps []Step) ([]Change, error) {
	var out []Change
	for _, s := range steps {
		c, err := s.Check(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		if c != nil {
			out = append(out, *c)
		}
	}
	return out, nil
}
