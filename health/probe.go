// Package health decides whether a service is healthy: probes (a command in
// the container, a TCP connect, an HTTP GET) and a backoff-driven wait that
// gives up at once on conditions that cannot heal.
package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
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

// TCP is healthy when a TCP connection to Addr succeeds.
type TCP struct{ Addr string }

func (p TCP) Probe(ctx context.Context) Result {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.Addr)
	if err != nil {
		return Result{Output: err.Error()}
	}
	conn.Close()
	return Result{Healthy: true, Output: "connected to " + p.Addr}
}

// HTTP is healthy when GET URL answers with a status below 400.
type HTTP struct {
	URL    string
	Client *http.Client
}

func (p HTTP) Probe(ctx context.Context) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
	if err != nil {
		return Result{Permanent: true, Output: err.Error()}
	}
	c := p.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return Result{Output: err.Error()}
	}
	resp.Body.Close()
	out := fmt.Sprintf("GET %s: %s", p.URL, resp.Status)
	return Result{Healthy: resp.StatusCode < 400, Output: out}
}

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
