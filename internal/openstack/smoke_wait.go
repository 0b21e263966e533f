package openstack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/retry"
)

// probe looks once at something the smoke test waits for. It returns the
// state it saw (worded to follow "timed out after 5m0s: ", e.g. "status
// creating"), whether the wait is over, and an error that ends the wait at
// once (a resource in ERROR, an API failure).
type probe func(ctx context.Context) (state string, done bool, err error)

// errNotYet is a look that saw the wait is not over.
var errNotYet = errors.New("not done yet")

// poll runs p every interval until it is done or fails, for at most
// timeout. The deadline also bounds each request p makes, so a hung API
// cannot stretch a wait. A timeout is an error naming the last state seen.
func poll(ctx context.Context, timeout, interval time.Duration, p probe) error {
	state := "nothing seen yet"
	err := retry.Do(ctx, retry.Every(interval, timeout), func(wctx context.Context) error {
		s, done, err := p(wctx)
		switch {
		case err == nil && done:
			return nil
		case wctx.Err() != nil:
			// A request the deadline (or a stop) cut short says only
			// "context deadline exceeded": not a failure of what is
			// waited for, and the last state says more.
			return wctx.Err()
		case err != nil:
			return retry.Permanent(err)
		}
		state = s
		return errNotYet
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, retry.ErrDeadline):
		return fmt.Errorf("timed out after %s: %s", timeout, state)
	}
	return err
}
