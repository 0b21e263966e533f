package systemd

import (
	"context"
	"encoding/json"
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

// Restart restarts the unit and waits for the job, which, as Start's, ends
// only after the health gate passed.
func (b *Backend) Restart(ctx context.Context, node string) error {
	return b.Manager.Restart(ctx, stack.UnitName(node))
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

// LastLine returns the last line a unit's main process wrote: for a
// container unit, the container's own output (podman run relays it,
// under the unit's SyslogIdentifier), not systemd's lines, nor those of
// the podman commands around it, nor podman's events.
func LastLine(ctx context.Context, r execx.Runner, unit, identifier string, mainPID uint32) (string, error) {
	if mainPID == 0 {
		return "", nil
	}
	out, err := execx.Output(ctx, r, "journalctl", "--no-pager", "-o", "cat", "-n", "1", "-u", unit,
		"SYSLOG_IDENTIFIER="+identifier, "_PID="+strconv.FormatUint(uint64(mainPID), 10))
	if err != nil {
		return "", fmt.Errorf("read journal of %s: %w", unit, err)
	}
	return strings.TrimSpace(out), nil
}

// StartWaitsForHealth: a unit's start job completes only after its health
// gate passed (container units) or its setup finished (the oneshot).
func (b *Backend) StartWaitsForHealth() bool { return true }

// Snapshot reports which services are up without running their health
// commands (see Observation.Up).
func (b *Backend) Snapshot(ctx context.Context) (map[string]bool, error) {
	obs, err := b.Observe(ctx)
	if err != nil {
		return nil, err
	}
	return obs.Up(b.Stack), nil
}

// Observation is the stack as it is at one moment: the state of every unit
// (the target's too) and every running container.
type Observation struct {
	Units      map[string]UnitState // by unit name
	Containers map[string]Container // running ones, by container name
}

// Observe reads the stack in two calls: one D-Bus ListUnitsByNames and one
// `podman ps`, which keeps `up` on a running stack well under a second.
func (b *Backend) Observe(ctx context.Context) (*Observation, error) {
	names := []string{stack.TargetName}
	for _, s := range b.Stack.Services() {
		names = append(names, stack.UnitName(s.Name))
	}
	states, err := b.Manager.States(ctx, names)
	if err != nil {
		return nil, err
	}
	running, err := Containers(ctx, b.Runner)
	if err != nil {
		return nil, err
	}
	return &Observation{Units: states, Containers: running}, nil
}

// Up reports which services are up: the unit is active (so its start job,
// health gate included, succeeded) and its container is running.
func (o *Observation) Up(st *stack.Stack) map[string]bool {
	up := map[string]bool{}
	for _, s := range st.Services() {
		if o.Units[stack.UnitName(s.Name)].Active != "active" {
			continue
		}
		if _, running := o.Containers[stack.ContainerName(s.Name)]; s.Oneshot || running {
			up[s.Name] = true
		}
	}
	return up
}

// Container is a running container, as `podman ps` lists it.
type Container struct {
	Name    string
	Image   string // the reference it was created from
	ImageID string
	Labels  map[string]string
}

// Containers returns the running containers, with their image and labels,
// from one `podman ps`.
func Containers(ctx context.Context, r execx.Runner) (map[string]Container, error) {
	out, err := execx.Output(ctx, r, "podman", "ps", "--filter", "status=running", "--format", "json")
	if err != nil {
		return nil, fmt.Errorf("list running containers: %w", err)
	}
	var list []struct {
		Names   []string
		Image   string
		ImageID string
		Labels  map[string]string
	}
	if out != "" {
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			return nil, fmt.Errorf("list running containers: podman ps printed what is not its JSON: %w", err)
		}
	}
	set := map[string]Container{}
	for _, c := range list {
		for _, n := range c.Names {
			set[n] = Container{Name: n, Image: c.Image, ImageID: c.ImageID, Labels: c.Labels}
		}
	}
	return set, nil
}
