package retry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// The loops run under testing/synctest: a fake clock that advances only
// when every goroutine of the test waits on it, so the durations asserted
// are exact and no test depends on how busy the machine is.

var errNotYet = errors.New("connection refused")

// attempts runs Do with an op that fails until it has been called
// succeedOn times (never when 0), and returns when each call came, as
// offsets from the start, and Do's error.
func attempts(ctx context.Context, p Policy, succeedOn int) ([]time.Duration, error) {
	start := time.Now()
	var at []time.Duration
	err := Do(ctx, p, func(context.Context) error {
		at = append(at, time.Since(start))
		if len(at) == succeedOn {
			return nil
		}
		return errNotYet
	})
	return at, err
}

func TestSucceedsAfterFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		at, err := attempts(context.Background(), Every(250*time.Millisecond, time.Minute), 3)
		if err != nil {
			t.Fatal(err)
		}
		// The first attempt is at once: what is ready already is seen
		// without a wait.
		if want := []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond}; !slices.Equal(at, want) {
			t.Errorf("attempts at %v, want %v", at, want)
		}
	})
}

func TestPermanentErrorStopsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("status ERROR")
		calls := 0
		start := time.Now()
		err := Do(context.Background(), Every(time.Second, time.Minute), func(context.Context) error {
			calls++
			return Permanent(boom)
		})
		if err != boom {
			t.Errorf("Do = %v, want the permanent error itself", err)
		}
		if calls != 1 || time.Since(start) != 0 {
			t.Errorf("%d calls over %s, want one at once", calls, time.Since(start))
		}
	})
}

func TestDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		at, err := attempts(context.Background(), Every(300*time.Millisecond, time.Second), 0)
		if took := time.Since(start); took != time.Second {
			t.Errorf("gave up after %s, want at the deadline", took)
		}
		if want := []time.Duration{0, 300 * time.Millisecond, 600 * time.Millisecond, 900 * time.Millisecond}; !slices.Equal(at, want) {
			t.Errorf("attempts at %v, want %v", at, want)
		}
		var g *GaveUp
		if !errors.As(err, &g) || !errors.Is(err, ErrDeadline) || !errors.Is(err, errNotYet) || errors.Is(err, context.Canceled) {
			t.Fatalf("Do = %#v, want *GaveUp with the last error and ErrDeadline", err)
		}
		// The caller's words around it read as around the last error.
		if err.Error() != errNotYet.Error() {
			t.Errorf("message %q, want the last attempt's", err)
		}
	})
}

func TestNoAttemptWhenTheWaitEndsAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		start := time.Now()
		err := Do(context.Background(), Every(250*time.Millisecond, time.Second), func(ctx context.Context) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			calls++
			return fmt.Errorf("attempt %d refused", calls)
		})
		if took := time.Since(start); took != time.Second {
			t.Errorf("gave up after %s, want at the deadline", took)
		}
		// The fifth would fall on the deadline itself.
		if err == nil || err.Error() != "attempt 4 refused" || !errors.Is(err, ErrDeadline) {
			t.Errorf("Do = %v, want the fourth attempt's error and ErrDeadline", err)
		}
	})
}

func TestDeadlineEndsTheAttemptUnderWay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cause error
		start := time.Now()
		err := Do(context.Background(), Every(time.Second, 5*time.Second), func(ctx context.Context) error {
			<-ctx.Done() // a request that hangs
			cause = context.Cause(ctx)
			return ctx.Err()
		})
		if took := time.Since(start); took != 5*time.Second {
			t.Errorf("gave up after %s, want at the deadline", took)
		}
		if cause != ErrDeadline || !errors.Is(err, ErrDeadline) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("attempt's cause %v, Do = %v", cause, err)
		}
	})
}

func TestContextCancelEndsTheWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(250*time.Millisecond, cancel)
		start := time.Now()
		// No deadline of its own: the caller's context bounds it.
		at, err := attempts(ctx, Every(100*time.Millisecond, 0), 0)
		if took := time.Since(start); took != 250*time.Millisecond {
			t.Errorf("returned %s after the start, want at the cancel", took)
		}
		if len(at) != 3 {
			t.Errorf("attempts at %v, want 3", at)
		}
		if !errors.Is(err, context.Canceled) || !errors.Is(err, errNotYet) || errors.Is(err, ErrDeadline) {
			t.Errorf("Do = %v, want the cancel and the last error", err)
		}
	})
}

func TestCancelledContextStillTriesOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	at, err := attempts(ctx, Every(time.Hour, time.Hour), 1)
	if err != nil || len(at) != 1 {
		t.Errorf("Do = %v after %d attempts, want nil after one", err, len(at))
	}
}

func TestPolicyGrowsToItsCeiling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := Policy{Interval: 100 * time.Millisecond, Growth: 2, Ceiling: 500 * time.Millisecond}
		at, err := attempts(context.Background(), p, 6)
		if err != nil {
			t.Fatal(err)
		}
		var waits []time.Duration
		for i := 1; i < len(at); i++ {
			waits = append(waits, at[i]-at[i-1])
		}
		want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}
		if !slices.Equal(waits, want) {
			t.Errorf("waits %v, want %v", waits, want)
		}
	})
}

func TestGrowingVariesAroundItsSteps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		at, err := attempts(context.Background(), Growing(250*time.Millisecond, 5*time.Second, 0), 12)
		if err != nil {
			t.Fatal(err)
		}
		step := 250 * time.Millisecond
		for i := 1; i < len(at); i++ {
			w := at[i] - at[i-1]
			if w < step/2 || w > step*3/2 {
				t.Errorf("wait %d is %s, want within ±50%% of %s", i, w, step)
			}
			step = min(time.Duration(float64(step)*1.5), 5*time.Second)
		}
	})
}

func TestCeilingFollowsTheAttemptsCost(t *testing.T) {
	p := Policy{Interval: 100 * time.Millisecond, Growth: 1.5, Jitter: 0.2,
		CeilingPerCost: 5, MinCeiling: 100 * time.Millisecond, Ceiling: 2 * time.Second}
	b := newBackOff(p)
	for _, c := range []struct{ cost, ceiling time.Duration }{
		{time.Millisecond, 100 * time.Millisecond}, // never below MinCeiling
		{200 * time.Millisecond, time.Second},
		{3 * time.Second, 2 * time.Second}, // never above Ceiling
	} {
		b.lastCost = c.cost
		if got := b.costCeiling(); got != c.ceiling {
			t.Errorf("ceiling after a %s attempt: %s, want %s", c.cost, got, c.ceiling)
		}
	}
	for range 50 {
		if d := b.NextBackOff(); d > 2400*time.Millisecond {
			t.Fatalf("wait %s above the ceiling and its jitter", d)
		}
	}
	// A cheap attempt after costly ones brings the wait down at once.
	b.lastCost = time.Millisecond
	if d := b.NextBackOff(); d > 120*time.Millisecond {
		t.Errorf("wait %s after a cheap attempt, want about 100ms", d)
	}
}

func TestCeilingFollowsTheAttemptsCostInDo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := Policy{Interval: 100 * time.Millisecond, Growth: 2, CeilingPerCost: 2, MinCeiling: 100 * time.Millisecond, Ceiling: time.Minute}
		start := time.Now()
		var at []time.Duration
		err := Do(context.Background(), p, func(context.Context) error {
			at = append(at, time.Since(start))
			if len(at) == 5 {
				return nil
			}
			time.Sleep(150 * time.Millisecond) // each attempt costs 150ms
			return errNotYet
		})
		if err != nil {
			t.Fatal(err)
		}
		// Waits of 100ms, then 200ms, then held at 2 × 150ms.
		want := []time.Duration{0, 250 * time.Millisecond, 600 * time.Millisecond, 1050 * time.Millisecond, 1500 * time.Millisecond}
		if !slices.Equal(at, want) {
			t.Errorf("attempts at %v, want %v", at, want)
		}
	})
}
