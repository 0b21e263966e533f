package health

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/retry"
)

// Policy is how Wait polls.
//
// Defaults, and why:
//   - First probe at once: a service that is ready immediately (or already
//     running) is seen without delay.
//   - 100 ms initial interval, growing 1.5x: most services here become
//     healthy between a fraction of a second and a few seconds after start,
//     and a dependent can only start once we notice, so early probes are
//     dense. (The original polled every 10 s, adding up to 10 s per
//     dependency edge.)
//   - Cap between 100 ms and 2 s, set by the probe's own cost: 5x the last
//     probe's duration. A cheap probe (a quick command, an in-memory
//     check) is repeated every ~100 ms, so detection latency stays near
//     50 ms; an expensive one (`podman exec` into a busy container) backs
//     off to at most 2 s, so polling never takes more than ~1/5 of a core
//     per waiting service while OpenStack services are booting.
//   - ±20% jitter, so parallel waits do not probe in lockstep.
type Policy struct {
	Initial    time.Duration
	Multiplier float64
	Jitter     float64
	MinCap     time.Duration
	MaxCap     time.Duration
	// CostFactor sets the cap to this multiple of the last probe's
	// duration, clamped to [MinCap, MaxCap].
	CostFactor float64

	Deadline     time.Duration // total time allowed
	ProbeTimeout time.Duration // each probe's own limit
}

// DefaultPolicy returns the polling policy for a service with the given
// deadline and per-probe timeout.
func DefaultPolicy(deadline, probeTimeout time.Duration) Policy {
	return Policy{Initial: 100 * time.Millisecond, Multiplier: 1.5, Jitter: 0.2,
		MinCap: 100 * time.Millisecond, MaxCap: 2 * time.Second, CostFactor: 5,
		Deadline: deadline, ProbeTimeout: probeTimeout}
}

// Scaled returns the policy with every duration multiplied by f (the
// benchmark runs the engine on a faster clock).
func (p Policy) Scaled(f float64) Policy {
	s := func(d time.Duration) time.Duration { return time.Duration(float64(d) * f) }
	p.Initial, p.MinCap, p.MaxCap, p.Deadline, p.ProbeTimeout = s(p.Initial), s(p.MinCap), s(p.MaxCap), s(p.Deadline), s(p.ProbeTimeout)
	return p
}

// retryPolicy is p as the retry loop takes it.
func (p Policy) retryPolicy() retry.Policy {
	return retry.Policy{Interval: p.Initial, Growth: p.Multiplier, Jitter: p.Jitter,
		Ceiling: p.MaxCap, MinCeiling: p.MinCap, CeilingPerCost: p.CostFactor, Deadline: p.Deadline}
}

// Wait probes until the service is healthy, the probe reports a permanent
// failure (returned at once), the deadline passes, or ctx is cancelled.
// onProbe, when non-nil, sees every result (for progress display). On
// failure it returns *Unhealthy, or an error wrapping ErrInterrupted and
// the context's error.
func Wait(ctx context.Context, prober Prober, p Policy, onProbe func(Result)) error {
	start := time.Now()
	var last Result
	probes := 0
	err := retry.Do(ctx, p.retryPolicy(), func(waitCtx context.Context) error {
		probeCtx, cancelProbe := context.WithTimeout(waitCtx, p.ProbeTimeout)
		last = prober.Probe(probeCtx)
		cancelProbe()
		probes++
		if onProbe != nil {
			onProbe(last)
		}
		switch {
		case last.Healthy:
			return nil
		case last.Permanent:
			return retry.Permanent(errors.New("permanent"))
		}
		return errors.New("not yet healthy")
	})
	if err == nil {
		return nil
	}
	u := &Unhealthy{LastOutput: last.Output, Probes: probes, Elapsed: time.Since(start)}
	switch {
	case last.Permanent:
		u.Reason = "cannot become healthy"
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %w", ErrInterrupted, ctx.Err())
	default:
		u.Reason = fmt.Sprintf("deadline of %s exceeded", p.Deadline)
	}
	return u
}
