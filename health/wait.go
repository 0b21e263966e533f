package health

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Policy is how Wait polls.
//
// The defaults poll at once, then after ~100 ms, growing by 1.5x to a 2 s
// cap, with ±20% jitter. Why: most services in this stack become healthy a
// fraction of a second to a few seconds after start, and a dependent can
// only start once we notice, so early polls must be dense (a fixed 10 s
// interval, as in the original, adds up to 10 s per dependency edge). The
// cap bounds the cost for slow services (keystone, nova-compute) to one
// cheap probe every 2 s, and the jitter keeps 22 parallel waits from
// probing in lockstep.
type Policy struct {
	Initial      time.Duration
	Max          time.Duration
	Multiplier   float64
	Jitter       float64
	Deadline     time.Duration // total time allowed
	ProbeTimeout time.Duration // each probe's own limit
}

// DefaultPolicy returns the polling policy for a service with the given
// deadline and per-probe timeout.
func DefaultPolicy(deadline, probeTimeout time.Duration) Policy {
	return Policy{Initial: 100 * time.Millisecond, Max: 2 * time.Second, Multiplier: 1.5, Jitter: 0.2,
		Deadline: deadline, ProbeTimeout: probeTimeout}
}

func (p Policy) backoff() *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = p.Initial
	b.MaxInterval = p.Max
	b.Multiplier = p.Multiplier
	b.RandomizationFactor = p.Jitter
	b.MaxElapsedTime = 0 // the context deadline bounds the wait
	b.Reset()
	return b
}

// Wait probes until the service is healthy, the probe reports a permanent
// failure (returned at once), the deadline passes, or ctx is cancelled.
// onProbe, when non-nil, sees every result (for progress display).
func Wait(ctx context.Context, prober Prober, p Policy, onProbe func(Result)) error {
	start := time.Now()
	waitCtx, cancel := context.WithTimeout(ctx, p.Deadline)
	defer cancel()
	var last Result
	probes := 0
	op := func() error {
		probeCtx, cancelProbe := context.WithTimeout(waitCtx, p.ProbeTimeout)
		defer cancelProbe()
		last = prober.Probe(probeCtx)
		probes++
		if onProbe != nil {
			onProbe(last)
		}
		switch {
		case last.Healthy:
			return nil
		case last.Permanent:
			return backoff.Permanent(errors.New("permanent"))
		}
		return errors.New("not yet healthy")
	}
	err := backoff.Retry(op, backoff.WithContext(p.backoff(), waitCtx))
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
