// Package retry runs an operation again after each failure until it
// succeeds, fails for good, its deadline passes or its context ends. Every
// wait and retry loop of hotstack-os goes through Do, so that each one is
// bounded, interruptible and ends with the last thing it saw.
//
// It sits on cenkalti/backoff, whose timers come from the time package:
// a loop run inside a testing/synctest bubble waits on the bubble's clock.
package retry

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Policy is how long Do waits between attempts, and how long in all.
type Policy struct {
	// Interval is the wait after the first failure.
	Interval time.Duration
	// Growth multiplies the wait after each further failure; 1 (or 0)
	// keeps it constant.
	Growth float64
	// Ceiling is the longest wait; zero sets none.
	Ceiling time.Duration
	// Jitter varies each wait at random by up to this fraction either
	// way, so that parallel loops do not run in lockstep.
	Jitter float64
	// CeilingPerCost, when non-zero, lowers the ceiling to this multiple
	// of the last attempt's duration, though not below MinCeiling: a
	// cheap attempt is repeated densely, a costly one sparingly.
	CeilingPerCost float64
	MinCeiling     time.Duration
	// Deadline bounds the whole loop, attempts included: the context the
	// operation gets ends with it. Zero leaves the bound to the caller's
	// context.
	Deadline time.Duration
}

// Every is the policy of a plain poll: an attempt every interval, for at
// most deadline (zero: until the context ends).
func Every(interval, deadline time.Duration) Policy {
	return Policy{Interval: interval, Growth: 1, Deadline: deadline}
}

// Growing is the policy of a wait for something that may take a while: the
// wait starts at interval and grows 1.5 times per failure up to ceiling,
// varied by ±50% (cenkalti/backoff's defaults), for at most deadline
// (zero: until the context ends).
func Growing(interval, ceiling, deadline time.Duration) Policy {
	return Policy{Interval: interval, Growth: backoff.DefaultMultiplier, Ceiling: ceiling,
		Jitter: backoff.DefaultRandomizationFactor, Deadline: deadline}
}

// ErrDeadline is the cause of a loop that ran out of its policy's
// Deadline: context.Cause of the context the operation gets, and what
// errors.Is finds in Do's *GaveUp.
var ErrDeadline = errors.New("retry deadline passed")

// Permanent marks err as a failure that trying again cannot cure: Do
// returns err at once.
func Permanent(err error) error { return backoff.Permanent(err) }

// GaveUp is Do's error when the deadline passed or the context ended
// before the operation succeeded. Its message is the last attempt's, so
// that the caller's own words about what it waited for read as they would
// around that error; errors.Is and errors.As see both the last error and
// the cause.
type GaveUp struct {
	Last  error // the last attempt's error
	Cause error // ErrDeadline, or the cause of the caller's context
}

func (g *GaveUp) Error() string   { return g.Last.Error() }
func (g *GaveUp) Unwrap() []error { return []error{g.Last, g.Cause} }

// Do calls op at once, then again after each failure, waiting as p says,
// until op returns nil (Do returns nil), op returns a Permanent error (Do
// returns the error inside it, at once), or p's deadline passes or ctx ends
// (Do returns *GaveUp). op's context ends at the deadline too; an op
// whose work must not be cut there may use the caller's context instead.
func Do(ctx context.Context, p Policy, op func(context.Context) error) error {
	loopCtx, cancel := ctx, context.CancelFunc(func() {})
	var end time.Time
	if p.Deadline > 0 {
		end = time.Now().Add(p.Deadline)
		loopCtx, cancel = context.WithDeadlineCause(ctx, end, ErrDeadline)
	}
	defer cancel()
	// over is why the loop is over, nil while it is not. The deadline
	// counts from its very moment, when the context's timer may not have
	// fired yet: a wait that ends then must not start an attempt doomed
	// to say only "deadline exceeded" where the last one said what was
	// wrong.
	over := func() error {
		if !end.IsZero() && !time.Now().Before(end) {
			return ErrDeadline
		}
		if loopCtx.Err() != nil {
			return context.Cause(loopCtx)
		}
		return nil
	}
	b := newBackOff(p)
	var last error
	attempt := func() error {
		if last != nil && over() != nil {
			return backoff.Permanent(errOver)
		}
		start := time.Now()
		last = op(loopCtx)
		b.lastCost = time.Since(start)
		return last
	}
	err := backoff.Retry(attempt, backoff.WithContext(b, loopCtx))
	if err == nil {
		return nil
	}
	var permanent *backoff.PermanentError
	if err != errOver && errors.As(last, &permanent) {
		return err // the error inside, which backoff has unwrapped
	}
	cause := over()
	if cause == nil {
		cause = context.Cause(loopCtx)
	}
	return &GaveUp{Last: last, Cause: cause}
}

// errOver stops backoff's loop before an attempt when the loop is over.
var errOver = errors.New("retry loop over")

// policyBackOff is cenkalti/backoff's exponential backoff with the
// ceiling Policy.CeilingPerCost sets from the last attempt's cost.
type policyBackOff struct {
	*backoff.ExponentialBackOff
	p        Policy
	lastCost time.Duration
}

func newBackOff(p Policy) *policyBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = p.Interval
	b.Multiplier = max(p.Growth, 1)
	b.RandomizationFactor = p.Jitter
	b.MaxInterval = p.ceiling()
	// The deadline is the loop context's, which also ends the attempt
	// under way and the wait after it; backoff's own bound would give up
	// early, as soon as the next wait would pass it.
	b.MaxElapsedTime = 0
	b.Reset()
	return &policyBackOff{ExponentialBackOff: b, p: p}
}

// ceiling is Policy.Ceiling, the largest duration when it is unset.
func (p Policy) ceiling() time.Duration {
	if p.Ceiling <= 0 {
		return math.MaxInt64
	}
	return p.Ceiling
}

// costCeiling is the ceiling after an attempt that took lastCost.
func (b *policyBackOff) costCeiling() time.Duration {
	c := time.Duration(float64(b.lastCost) * b.p.CeilingPerCost)
	return max(b.p.MinCeiling, min(c, b.p.ceiling()))
}

func (b *policyBackOff) NextBackOff() time.Duration {
	if b.p.CeilingPerCost == 0 {
		return b.ExponentialBackOff.NextBackOff()
	}
	c := b.costCeiling()
	b.MaxInterval = c
	d := b.ExponentialBackOff.NextBackOff()
	if d > c {
		// The interval grew under a higher ceiling than this attempt's
		// cost allows: vary around the lowered one instead.
		d = time.Duration(float64(c) * (1 + b.p.Jitter*(2*rand.Float64()-1)))
	}
	return d
}
