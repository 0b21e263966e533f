package systemd

import (
	"context"
	"strings"
	"sync"
)

// Fake is a Manager for unit tests. A unit has the state set in Units (by
// unit name), or is loaded and inactive. Start makes it active/running
// unless StartErr holds an error for it (then it is failed); Stop makes it
// inactive. Every call is recorded in order.
type Fake struct {
	Units    map[string]UnitState
	StartErr map[string]error
	// FileState is each unit file's enablement ("" when absent).
	FileState map[string]string

	mu    sync.Mutex
	calls []string
}

// NewFake returns a Fake with every unit loaded and inactive.
func NewFake() *Fake {
	return &Fake{Units: map[string]UnitState{}, StartErr: map[string]error{}, FileState: map[string]string{}}
}

func (f *Fake) record(call ...string) {
	f.calls = append(f.calls, strings.Join(call, " "))
}

// Calls returns the calls so far, each as "verb unit", e.g. "start x.service".
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// Set sets a unit's load, active and sub state.
func (f *Fake) Set(unit, load, active, sub string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Units[unit] = UnitState{Name: unit, Load: load, Active: active, Sub: sub}
}

func (f *Fake) state(unit string) UnitState {
	st, ok := f.Units[unit]
	if !ok {
		st = UnitState{Load: "loaded", Active: "inactive", Sub: "dead"}
	}
	st.Name = unit
	return st
}

func (f *Fake) Reload(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("reload")
	return nil
}

func (f *Fake) Start(_ context.Context, unit string) error {
	return f.run("start", unit)
}

func (f *Fake) Restart(_ context.Context, unit string) error {
	return f.run("restart", unit)
}

// run starts unit (verb: start or restart), failing as StartErr says. A
// start resets the restart count, as systemd's counter of automatic
// restarts does on a manual start; a restart keeps it.
func (f *Fake) run(verb, unit string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(verb, unit)
	st := f.state(unit)
	if err := f.StartErr[unit]; err != nil {
		st.Active, st.Sub = "failed", "failed"
		f.Units[unit] = st
		return err
	}
	st.Active, st.Sub = "active", "running"
	if verb == "start" {
		st.Restarts = 0
	}
	f.Units[unit] = st
	return nil
}

func (f *Fake) Enable(_ context.Context, units ...string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(append([]string{"enable"}, units...)...)
	changed := false
	for _, u := range units {
		if f.FileState[u] != "enabled" {
			f.FileState[u], changed = "enabled", true
		}
	}
	return changed, nil
}

func (f *Fake) UnitFileState(_ context.Context, unit string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.FileState[unit], nil
}

func (f *Fake) Stop(_ context.Context, unit string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("stop", unit)
	st := f.state(unit)
	st.Active, st.Sub = "inactive", "dead"
	f.Units[unit] = st
	return nil
}

func (f *Fake) ResetFailed(_ context.Context, unit string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("reset-failed", unit)
	if st := f.state(unit); st.Active == "failed" {
		st.Active, st.Sub = "inactive", "dead"
		f.Units[unit] = st
	}
	return nil
}

func (f *Fake) Disable(_ context.Context, units ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(append([]string{"disable"}, units...)...)
	for _, u := range units {
		if f.FileState[u] == "enabled" {
			f.FileState[u] = "disabled"
		}
	}
	return nil
}

func (f *Fake) State(_ context.Context, unit string) (UnitState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state(unit), nil
}

func (f *Fake) States(_ context.Context, units []string) (map[string]UnitState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]UnitState, len(units))
	for _, u := range units {
		out[u] = f.state(u)
	}
	return out, nil
}

func (f *Fake) Close() {}
