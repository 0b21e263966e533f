package infra

import (
	"context"
	"fmt"
	"io/fs"
	"net/netip"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/lockfile"
)

// Host is the machine infra acts on.
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
}

// Step is one idempotent piece of setup or cleanup.
type Step struct {
	Name string
	Run  func(ctx context.Context) (changed bool, err error)
}

// Summary counts what a run did.
type Summary struct {
	Changed, Unchanged, Skipped int
}

func (h *Host) path(p string) string {
	if h.Root == "" || h.Root == "/" {
		return p
	}
	return filepath.Join(h.Root, p)
}

func (h *Host) systemSteps() bool { return h.System || h.Root == "" || h.Root == "/" }

// Paths of the host files infra edits (before the root prefix).
const (
	HostsFile   = "/etc/hosts"
	ExportsFile = "/etc/exports"
	LockFile    = "/run/lock/hotstack-os-infra.lock"
)

// SetupSteps returns setup's steps in order. The data directories come
// before the NFS export, since exportfs refuses a directory that does not
// exist yet.
func (h *Host) SetupSteps() []Step {
	cfg := h.Config
	provider := netip.MustParsePrefix(cfg.Get("PROVIDER_NETWORK"))
	brex := netip.PrefixFrom(netip.MustParseAddr(cfg.Get("BREX_IP")), provider.Bits())
	containerNet := netip.MustParsePrefix(cfg.Get("CONTAINER_NETWORK"))
	datapath, mtu := cfg.Get("OVS_DATAPATH_TYPE"), cfg.Int("GLOBAL_PHYSNET_MTU")
	dataDir := cfg.Get("HOTSTACK_DATA_DIR")

	var steps []Step
	if h.systemSteps() {
		steps = append(steps,
			Step{"Open vSwitch answers", func(ctx context.Context) (bool, error) { return false, newVSwitch(ctx, h.Runner).Ping() }},
			Step{"bridge " + IntegrationBridge, func(ctx context.Context) (bool, error) {
				return newVSwitch(ctx, h.Runner).EnsureBridge(IntegrationBridge, datapath, mtu)
			}},
			Step{"bridge " + ExternalBridge, func(ctx context.Context) (bool, error) {
				return newVSwitch(ctx, h.Runner).EnsureBridge(ExternalBridge, datapath, mtu)
			}},
			Step{fmt.Sprintf("address %s on %s", brex, ExternalBridge), func(ctx context.Context) (bool, error) {
				return ensureAddress(ctx, h.Runner, ExternalBridge, brex)
			}},
			Step{"podman network " + NetworkName, func(ctx context.Context) (bool, error) {
				return ensurePodmanNetwork(ctx, h.Runner, containerNet)
			}},
		)
	}
	steps = append(steps,
		Step{HostsFile + " entries", func(context.Context) (bool, error) {
			changed, _, err := applyBlock(h.path(HostsFile), HostsBlock, hostsEntries(cfg.Get("BREX_IP")))
			return changed, err
		}},
		Step{"data directories", func(ctx context.Context) (bool, error) {
			changed := false
			for _, d := range DataDirs {
				c, err := ensureDir(h.path(filepath.Join(dataDir, d.Rel)), d.Mode, d.UID, d.GID)
				if err != nil {
					return changed, err
				}
				changed = changed || c
			}
			for _, p := range []string{cfg.Get("NOVA_INSTANCES_PATH"), cfg.Get("NOVA_NFS_MOUNT_POINT_BASE"), cfg.Get("CINDER_NFS_EXPORT_DIR")} {
				c, err := ensureDir(h.path(p), 0o755|modeFor(p, cfg), 0, 0)
				if err != nil {
					return changed, err
				}
				changed = changed || c
			}
			if h.systemSteps() {
				c, err := labelForContainers(ctx, h.Runner, dataDir)
				changed = changed || c
				return changed, err
			}
			return changed, nil
		}},
		Step{ExportsFile + " export", func(ctx context.Context) (bool, error) {
			return applyExports(ctx, h.Runner, h.path(ExportsFile), exportsEntries(cfg.Get("CINDER_NFS_EXPORT_DIR")), h.systemSteps())
		}},
	)
	return steps
}

// modeFor keeps nova-instances setgid wherever NOVA_INSTANCES_PATH points.
func modeFor(p string, cfg *config.Config) fs.FileMode {
	if p == cfg.Get("NOVA_INSTANCES_PATH") {
		return fs.ModeSetgid | 0o775
	}
	return 0
}

// CleanupSteps returns cleanup's steps: the managed blocks go; with Purge
// the bridges and the podman network go too. Data directories stay.
func (h *Host) CleanupSteps() []Step {
	steps := []Step{
		{HostsFile + " entries", func(context.Context) (bool, error) {
			changed, _, err := applyBlock(h.path(HostsFile), HostsBlock, nil)
			return changed, err
		}},
		{ExportsFile + " export", func(ctx context.Context) (bool, error) {
			return applyExports(ctx, h.Runner, h.path(ExportsFile), nil, h.systemSteps())
		}},
	}
	if h.Purge && h.systemSteps() {
		steps = append(steps,
			Step{"podman network " + NetworkName, func(ctx context.Context) (bool, error) { return removePodmanNetwork(ctx, h.Runner) }},
			Step{"bridge " + ExternalBridge, func(ctx context.Context) (bool, error) { return newVSwitch(ctx, h.Runner).DeleteBridge(ExternalBridge) }},
			Step{"bridge " + IntegrationBridge, func(ctx context.Context) (bool, error) {
				return newVSwitch(ctx, h.Runner).DeleteBridge(IntegrationBridge)
			}},
		)
	}
	return steps
}

// Setup runs every setup step under the infra lock.
func (h *Host) Setup(ctx context.Context) (Summary, error) {
	return h.run(ctx, "setup", h.SetupSteps())
}

// Cleanup runs every cleanup step under the infra lock.
func (h *Host) Cleanup(ctx context.Context) (Summary, error) {
	return h.run(ctx, "cleanup", h.CleanupSteps())
}

func (h *Host) run(ctx context.Context, what string, steps []Step) (Summary, error) {
	var sum Summary
	lock, err := lockfile.Acquire(ctx, h.path(LockFile), func(holder string) {
		h.Log.Info().Msgf("infra %s: waiting for another infra run to finish (%s)", what, holder)
	})
	if err != nil {
		return sum, err
	}
	defer lock.Release()
	if !h.systemSteps() {
		h.Log.Info().Msgf("infra %s: HOTSTACK_ROOT=%s: files only; Open vSwitch, addresses, podman network and exportfs skipped", what, h.Root)
	}
	for _, s := range steps {
		changed, err := s.Run(ctx)
		if err != nil {
			return sum, fmt.Errorf("infra %s: %s: %w", what, s.Name, err)
		}
		state := "unchanged"
		if changed {
			state = "changed"
			sum.Changed++
		} else {
			sum.Unchanged++
		}
		h.Log.Info().Str("step", s.Name).Msg(state)
	}
	h.Log.Info().Msgf("infra %s: %d changed, %d unchanged", what, sum.Changed, sum.Unchanged)
	return sum, nil
}
