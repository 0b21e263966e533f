package openstack

import (
	"context"
	"fmt"
	"time"
)

// probe looks once at something the smoke test waits for. It returns the
// state it saw (worded to follow "timed out after 5m0s: ", e.g. "status
// creating"), whether the wait is over, and an error that ends the wait at
// once (a resource in ERROR, an API failure).
type probe func(ctx context.Context) (state string, done bool, err error)

// poll runs p every interval until it is done or fails, for at most
// timeout. The deadline also bounds each request p makes, so a hung API
// cannot stretch a wait. A timeout is an error naming the last state seen.
func poll(ctx context.Context, timeout, interval time.Duration, p probe) error {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	state := "nothing seen yet"
	for {
		s, done, err := p(wctx)
		switch {
		case err == nil && done:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case wctx.Err() != nil:
			// A request the deadline cut short says only "context
			// deadline exceeded"; the last state says more.
			return fmt.Errorf("timed out after %s: %s", timeout, state)
		case err != nil:
			return err
		}
		state = s
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("timed out after %s: %s", timeout, state)
		case <-time.After(interval):
		}
	}
}
