package tasks

import "time"

// State is where a node is in a run.
type State int

const (
	Pending State = iota
	WaitingDeps
	Starting
	Probing
	Healthy
	AlreadyHealthy
	Failed
	Stopping
	Stopped
	Cancelled
	Restarting
)

func (s State) String() string {
	switch s {
	case Pending:
		return "pending"
	case WaitingDeps:
		return "waiting for deps"
	case Starting:
		return "starting"
	case Probing:
		return "probing"
	case Healthy:
		return "healthy"
	case AlreadyHealthy:
		return "already healthy"
	case Failed:
		return "failed"
	case Stopping:
		return "stopping"
	case Stopped:
		return "stopped"
	case Cancelled:
		return "cancelled"
	case Restarting:
		return "restarting"
	}
	return "unknown"
}

// Done reports whether the state is final for Up.
func (s State) Done() bool {
	return s == Healthy || s == AlreadyHealthy || s == Failed || s == Cancelled
}

// Event reports a node's change of state.
type Event struct {
	Time   time.Time
	Node   string
	Layer  int
	State  State
	Detail string // last probe output, error text, ...
}

// Observer receives events. It is called from many goroutines and must be
// safe for that; it should return quickly.
type Observer func(Event)
