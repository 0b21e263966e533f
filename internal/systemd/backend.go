package systemd

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hotstack-os/hotstack-os/health"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/stack"
)

// Backend is the engine's production backend (tasks.Backend): units started
// and stopped over D-Bus, health probed with the service's own command
// inside its container.
type Backend struct {
	Manager Manager
	Runner  execx.Runner
	Stack   *stack.Stack
}

// infraProbeTimeout bounds the oneshot's state read.
const infraProbeTimeout = 5 * time.Second

// Start starts the unit and waits for the job. A container unit's job ends
// only after its health gate (ExecStartPost) passed, so "done" already
// means healthy; "failed" is final.
func (b *Backend) Start(ctx context.Context, node string) error {
	unit := stack.UnitName(node)
	// The start limit is there to end crash loops of automatic restarts,
	// not to refuse an operator's explicit `mage up`: reset-failed clears
	// both a failed state and the start rate counter.
	_ = b.Manager.ResetFailed(ctx, unit)
	return b.Manager.Start(ctx, unit)
}

// Stop stops the unit and waits for the job.
func (b *Backend) Stop(ctx context.Context, node string) error {
	unit := stack.UnitName(node)
	if err := b.Manager.Stop(ctx, unit); err != nil {
		return err
	}
	// A container killed at its stop timeout leaves the unit "failed";
	// after a deliberate stop that is noise for the next start.
	if st, err := b.Manager.State(ctx, unit); err == nil && st.Active == "failed" {
		_ = b.Manager.ResetFailed(ctx, unit)
	}
	return nil
}

// Probe reads the unit state first (cheap, over D-Bus), and runs the health
// command only for a unit that is running.
func (b *Backend) Probe(ctx context.Context, node string) health.Result {
	svc := b.Stack.Get(node)
	st, err := b.Manager.State(ctx, stack.UnitName(node))
	if err != nil {
		return health.Result{Output: err.Error()}
	}
	switch {
	case st.Load != "" && st.Load != "loaded":
		return health.Result{Permanent: true, Output: fmt.Sprintf("unit %s is %s (run mage install)", st.Name, st.Load)}
	case st.Active == "failed":
		return health.Result{Permanent: true, Output: "unit " + st.Name + " failed"}
	case svc.Oneshot:
		return health.Result{Healthy: st.Active == "active", Output: "unit " + st.Active}
	case st.Active != "active" && st.Active != "activating" && st.Active != "reloading":
		return health.Result{Output: "unit " + st.Name + " is " + st.Active}
	}
	return health.ContainerProbe(b.Runner, stack.ContainerName(node), svc.Health.Cmd, 0).Probe(ctx)
}

// Policy is the service's health deadline with the default polling.
func (b *Backend) Policy(node string) health.Policy {
	svc := b.Stack.Get(node)
	if svc.Oneshot {
		return health.DefaultPolicy(infraProbeTimeout*4, infraProbeTimeout)
	}
	return health.DefaultPolicy(svc.Health.Deadline(), svc.Health.Timeout)
}

// Diagnose returns the unit's last journal lines (journalctl through the
// exec seam).
func (b *Backend) Diagnose(ctx context.Context, node string, lines int) (string, error) {
	return JournalTail(ctx, b.Runner, stack.UnitName(node), lines)
}

// JournalTail returns the last n journal lines of unit.
func JournalTail(ctx context.Context, r execx.Runner, unit string, n int) (string, error) {
	out, err := execx.Output(ctx, r, "journalctl", "--no-pager", "-o", "short-precise", "-n", strconv.Itoa(n), "-u", unit)
	if err != nil {
		return "", fmt.Errorf("read journal of %s: %w", unit, err)
	}
	return strings.TrimSpace(out), nil
}

// StartWaitsForHealth: a unit's start job completes only after its health
// gate passed (container units) or its setup finished (the oneshot).
func (b *Backend) StartWaitsForHealth() bool { return true }

// Snapshot reports which services are up without running their health
// commands: the unit is active (so its start job, health gate included,
// succeeded) and its container is running. Two calls in all: one D-Bus
// ListUnitsByNames and one `podman ps`, which keeps `up` on a running stack
// well under a second.
func (b *Backend) Snapshot(ctx context.Context) (map[string]bool, error) {
	var names []string
	for _, s := range b.Stack.Services() {
		names = append(names, stack.UnitName(s.Name))
	}
	states, err := b.Manager.States(ctx, names)
	if err != nil {
		return nil, err
	}
	running, err := RunningContainers(ctx, b.Runner)
	if err != nil {
		return nil, err
	}
	up := map[string]bool{}
	for _, s := range b.Stack.Services() {
		st := states[stack.UnitName(s.Name)]
		if st.Active != "active" {
			continue
		}
		if s.Oneshot || running[stack.ContainerName(s.Name)] {
			up[s.Name] = true
		}
	}
	return up, nil
}

// RunningContainers returns the names of the running containers.
func RunningContainers(ctx context.Context, r execx.Runner) (map[string]bool, error) {
	out, err := execx.Output(ctx, r, "podman", "ps", "--filter", "status=running", "--format", "{{.Names}}")
	if err != nil {
		return nil, fmt.Errorf("list running containers: %w", err)
	}
	set := map[string]bool{}
	for _, n := range strings.Fields(out) {
		set[n] = true
	}
	return set, nil
}
