// Package systemd is hotstack-os's side of systemd: the manager over D-Bus
// (go-systemd's dbus package: start and stop units and wait for the job
// result, reload, disable, read unit state), the engine's production
// Backend built on it, and the journal (tail for failure reports, follow
// for `mage logs`).
package systemd

import (
	"context"
	"fmt"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
)

// UnitState is the part of a unit's state that hotstack-os reports.
type UnitState struct {
	Name      string
	Load      string // loaded, not-found, ...
	Active    string // active, activating, failed, inactive, ...
	Sub       string // running, start-post, dead, ...
	Since     time.Time
	StartedAt time.Time // ExecMainStartTimestamp: changes on every restart
	Restarts  uint32    // NRestarts: automatic restarts since the last explicit start
	// Result is the service's last result (success, exit-code, signal,
	// timeout, ...), and LastExit how its main process ended last (e.g.
	// "exited 1", "killed by signal 9"; "" before it ever ran).
	Result   string
	LastExit string
	// MainPID is the main process of the last run (ExecMainPID; it stays
	// set after the process exits), 0 before any.
	MainPID uint32
	// Job is the type of the job queued for the unit ("start",
	// "restart", ...; "" for none). Read by States only.
	Job string
}

// Retrying reports whether systemd is starting the unit again by itself
// after a failure (its Restart= policy at work): waiting out RestartSec,
// starting, or queued behind its dependencies' own jobs.
func (s UnitState) Retrying() bool {
	if s.Sub == "auto-restart" {
		return true
	}
	return s.Restarts > 0 && (s.Active == "activating" || s.Active == "inactive" && (s.Job == "start" || s.Job == "restart"))
}

// Manager is what hotstack-os needs from systemd. Start and Stop return once
// the job has finished, with an error unless it finished "done".
type Manager interface {
	Reload(ctx context.Context) error
	Start(ctx context.Context, unit string) error
	// Restart stops and starts the unit, returning once the start job
	// finished.
	Restart(ctx context.Context, unit string) error
	Stop(ctx context.Context, unit string) error
	ResetFailed(ctx context.Context, unit string) error
	Disable(ctx context.Context, units ...string) error
	// Enable enables unit files (their [Install] section), reporting
	// whether anything changed.
	Enable(ctx context.Context, units ...string) (bool, error)
	// UnitFileState is a unit file's enablement: enabled, disabled,
	// static, ...; "" when there is no such unit file.
	UnitFileState(ctx context.Context, unit string) (string, error)
	State(ctx context.Context, unit string) (UnitState, error)
	// States reads the load and active state of many units in one call.
	States(ctx context.Context, units []string) (map[string]UnitState, error)
	Close()
}

// JobError is a systemd job that finished with another result than "done".
type JobError struct {
	Unit, Op, Result string
}

func (e *JobError) Error() string {
	return fmt.Sprintf("%s %s: job %s", e.Op, e.Unit, e.Result)
}

// Bus is a Manager on the system bus.
type Bus struct{ conn *sddbus.Conn }

// Connect opens the system bus connection.
func Connect(ctx context.Context) (*Bus, error) {
	conn, err := sddbus.NewSystemConnectionContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to systemd over D-Bus (is systemd running, and are you root?): %w", err)
	}
	return &Bus{conn: conn}, nil
}

func (b *Bus) Close() { b.conn.Close() }

func (b *Bus) Reload(ctx context.Context) error {
	if err := b.conn.ReloadContext(ctx); err != nil {
		return fmt.Errorf("systemd daemon-reload: %w", err)
	}
	return nil
}

func (b *Bus) Start(ctx context.Context, unit string) error {
	return b.job(ctx, "start", unit, b.conn.StartUnitContext)
}

func (b *Bus) Restart(ctx context.Context, unit string) error {
	return b.job(ctx, "restart", unit, b.conn.RestartUnitContext)
}

func (b *Bus) Stop(ctx context.Context, unit string) error {
	return b.job(ctx, "stop", unit, b.conn.StopUnitContext)
}

type jobFunc func(ctx context.Context, name, mode string, ch chan<- string) (int, error)

func (b *Bus) job(ctx context.Context, op, unit string, fn jobFunc) error {
	ch := make(chan string, 1)
	if _, err := fn(ctx, unit, "replace", ch); err != nil {
		return fmt.Errorf("%s %s: %w", op, unit, err)
	}
	select {
	case res := <-ch:
		if res != "done" {
			return &JobError{Unit: unit, Op: op, Result: res}
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s %s: %w", op, unit, ctx.Err())
	}
}

func (b *Bus) ResetFailed(ctx context.Context, unit string) error {
	return b.conn.ResetFailedUnitContext(ctx, unit)
}

func (b *Bus) Disable(ctx context.Context, units ...string) error {
	if _, err := b.conn.DisableUnitFilesContext(ctx, units, false); err != nil {
		return fmt.Errorf("disable %v: %w", units, err)
	}
	return nil
}

func (b *Bus) Enable(ctx context.Context, units ...string) (bool, error) {
	_, changes, err := b.conn.EnableUnitFilesContext(ctx, units, false, false)
	if err != nil {
		return false, fmt.Errorf("enable %v: %w", units, err)
	}
	return len(changes) > 0, nil
}

func (b *Bus) UnitFileState(ctx context.Context, unit string) (string, error) {
	p, err := b.conn.GetUnitPropertyContext(ctx, unit, "UnitFileState")
	if err != nil {
		return "", fmt.Errorf("read the unit file state of %s: %w", unit, err)
	}
	v, _ := p.Value.Value().(string)
	return v, nil
}

func (b *Bus) State(ctx context.Context, unit string) (UnitState, error) {
	props, err := b.conn.GetUnitPropertiesContext(ctx, unit)
	if err != nil {
		return UnitState{}, fmt.Errorf("read state of %s: %w", unit, err)
	}
	st := UnitState{Name: unit}
	st.Load, _ = props["LoadState"].(string)
	st.Active, _ = props["ActiveState"].(string)
	st.Sub, _ = props["SubState"].(string)
	st.Since = usec(props["StateChangeTimestamp"])
	if svc, err := b.conn.GetUnitTypePropertiesContext(ctx, unit, "Service"); err == nil {
		st.StartedAt = usec(svc["ExecMainStartTimestamp"])
		st.Restarts, _ = svc["NRestarts"].(uint32)
		st.Result, _ = svc["Result"].(string)
		code, _ := svc["ExecMainCode"].(int32)
		status, _ := svc["ExecMainStatus"].(int32)
		st.LastExit = lastExit(code, status)
		st.MainPID, _ = svc["ExecMainPID"].(uint32)
	}
	return st, nil
}

// lastExit describes a main process's end from its waitid(2) code and
// status, as systemctl status does.
func lastExit(code, status int32) string {
	switch code {
	case 1: // CLD_EXITED
		return fmt.Sprintf("exited %d", status)
	case 2, 3: // CLD_KILLED, CLD_DUMPED
		return fmt.Sprintf("killed by signal %d", status)
	}
	return ""
}

func usec(v any) time.Time {
	u, ok := v.(uint64)
	if !ok || u == 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(u))
}

func (b *Bus) States(ctx context.Context, units []string) (map[string]UnitState, error) {
	list, err := b.conn.ListUnitsByNamesContext(ctx, units)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	out := make(map[string]UnitState, len(list))
	for _, u := range list {
		out[u.Name] = UnitState{Name: u.Name, Load: u.LoadState, Active: u.ActiveState, Sub: u.SubState, Job: u.JobType}
	}
	return out, nil
}
