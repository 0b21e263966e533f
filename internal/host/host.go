// Package host sets up and cleans up the host infrastructure the stack
// needs: Open vSwitch bridges, the hot-ex address, the podman network,
// managed blocks in /etc/hosts and /etc/exports, and the data directories.
// Each piece is a step.Step: its check reads the host and says what would
// change, so `infra:setup` applies exactly what `mage plan` shows, and a
// second run changes nothing.
package host

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/lockfile"
	"github.com/hotstack-os/hotstack-os/internal/step"
)

// Host is the machine the steps act on.
type Host struct {
	Config *config.Config
	Runner execx.Runner
	Log    zerolog.Logger
	// Root prefixes the hosts and exports files, the data directories and
	// the lock (staging and tests). With a root other than "/", the
	// system steps (OVS, addresses, podman network, exportfs) are skipped
	// unless System is set.
	Root   string
	System bool
	Purge  bool
	// Record is the file (before the root prefix) where setup notes the
	// directories and host files it creates, so that uninstall and purge
	// remove those and nothing else (see internal/record); "" records
	// nothing.
	Record string
	// WaitOVS is how long Setup waits for Open vSwitch to answer (at
	// boot it may still be starting), polling with backoff; zero asks
	// once. Plan always asks once.
	WaitOVS time.Duration
	// Quiet logs only the steps that change something (and the summary).
	Quiet bool
}

// DefaultOVSWait is how long setup waits for Open vSwitch: well within
// the infra unit's start timeout.
const DefaultOVSWait = 60 * time.Second

// Paths of the host files the steps edit (before the root prefix).
const (
	HostsFile   = "/etc/hosts"
	ExportsFile = "/etc/exports"
	LockFile    = "/run/lock/hotstack-os-infra.lock"
)

func (h *Host) path(p string) string {
	if h.Root == "" || h.Root == "/" {
		return p
	}
	return filepath.Join(h.Root, p)
}

func (h *Host) systemSteps() bool { return h.System || h.Root == "" || h.Root == "/" }

// Setup applies every setup step whose check reports a change, under the
// infra lock.
func (h *Host) Setup(ctx context.Context) (step.Summary, error) {
	return h.run(ctx, "setup", h.SetupSteps())
}

// Cleanup applies every cleanup step whose check reports a change, under
// the infra lock.
func (h *Host) Cleanup(ctx context.Context) (step.Summary, error) {
	return h.run(ctx, "cleanup", h.CleanupSteps())
}

// Plan returns what Setup would change, changing nothing. It asks Open
// vSwitch once, without waiting.
func (h *Host) Plan(ctx context.Context) ([]step.Change, error) {
	once := *h
	once.WaitOVS = 0
	return step.Changes(ctx, once.SetupSteps())
}

func (h *Host) run(ctx context.Context, what string, steps []step.Step) (step.Summary, error) {
	lock, err := lockfile.Acquire(ctx, h.path(LockFile), func(holder string) {
		h.Log.Info().Msgf("infra %s: waiting for another infra run to finish (%s)", what, holder)
	})
	if err != nil {
		return step.Summary{}, err
	}
	defer lock.Release()
	if !h.systemSteps() {
		h.Log.Info().Msgf("infra %s: HOTSTACK_ROOT=%s: files only; Open vSwitch, addresses, podman network and exportfs skipped", what, h.Root)
	}
	report := step.Logged(h.Log)
	if h.Quiet {
		all := report
		report = func(s step.Step, c *step.Change) {
			if c != nil {
				all(s, c)
			}
		}
	}
	sum, err := step.Run(ctx, steps, report)
	if err != nil {
		return sum, fmt.Errorf("infra %s: %w", what, err)
	}
	h.Log.Info().Msgf("infra %s: %d changed, %d unchanged", what, len(sum.Changed), len(sum.Unchanged))
	return sum, nil
}
