// Package health decides whether a service is healthy: the probe (the
// service's own command in its container, hedged against podman's stalls)
// and a backoff-driven wait that gives up at once on conditions that cannot
// heal.
package health

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Result is the outcome of one probe.
type Result struct {
	Healthy bool
	// Permanent marks a condition that no amount of waiting fixes:
	// the container is gone or exited, the unit failed, the image is
	// missing.
	Permanent bool
	// Output is what the probe printed or why it failed, for the report.
	Output string
}

// Prober runs one probe. It must return within ctx's deadline.
type Prober interface {
	Probe(ctx context.Context) Result
}

// ProberFunc adapts a function to Prober.
type ProberFunc func(ctx context.Context) Result

func (f ProberFunc) Probe(ctx context.Context) Result { return f(ctx) }

// Unhealthy is the error Wait returns when a service did not become healthy.
type Unhealthy struct {
	Reason     string // "deadline exceeded", "container exited", ...
	LastOutput string
	Probes     int
	Elapsed    time.Duration
}

func (e *Unhealthy) Error() string {
	msg := fmt.Sprintf("not healthy after %s (%d probes): %s", e.Elapsed.Round(time.Millisecond), e.Probes, e.Reason)
	if out := strings.TrimSpace(e.LastOutput); out != "" {
		msg += "; last probe output: " + out
	}
	return msg
}

// ErrInterrupted wraps the context's error when a wait was cancelled.
var ErrInterrupted = errors.New("health wait interrupted")
