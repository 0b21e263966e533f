package tasks

import (
	"context"

	"github.com/hotstack-os/hotstack-os/health"
)

// Backend starts, stops and probes nodes.
type Backend interface {
	// Start starts the node and returns once the start has been carried
	// out (for systemd: the start job finished). An error is final.
	Start(ctx context.Context, node string) error
	// Stop stops the node and returns once it is stopped.
	Stop(ctx context.Context, node string) error
	// Probe reports the node's health now. Permanent means waiting longer
	// cannot help (the unit failed, the container is gone).
	Probe(ctx context.Context, node string) health.Result
	// Policy is how long and how densely to poll the node's health.
	Policy(node string) health.Policy
}

// Diagnoser is an optional Backend extension: the last lines of a node's log
// for a failure report.
type Diagnoser interface {
	Diagnose(ctx context.Context, node string, lines int) (string, error)
}

// HealthGatedStart is an optional Backend extension: when it reports true,
// a successful Start already means the node is healthy (systemd units
// whose start job includes the health gate), so the engine does not probe
// again before releasing dependents.
type HealthGatedStart interface {
	StartWaitsForHealth() bool
}

// Snapshotter is an optional Backend extension: which nodes are up right
// now, read in bulk. Up uses it, when present, instead of probing every
// node, to find what needs no start; it must not report a node up that
// could not pass its probe at start.
type Snapshotter interface {
	Snapshot(ctx context.Context) (map[string]bool, error)
}

// Restarter is an optional Backend extension: restart a node that is up
// in one step (for systemd: a restart job, which ends once the node is
// healthy again). Without it the engine stops, then starts the node.
type Restarter interface {
	Restart(ctx context.Context, node string) error
}
