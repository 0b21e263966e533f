package host

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"

	"github.com/hotstack-os/hotstack-os/internal/record"
	"github.com/hotstack-os/hotstack-os/internal/safepath"
	"github.com/hotstack-os/hotstack-os/internal/step"
)

// observe builds a step around one reading of the host: read returns the
// current state (how it differs from the wanted one), change describes that
// difference (nil when there is none), and fix removes exactly it. Check and
// Apply each read afresh, so both act on the same comparison and Apply never
// works from a stale reading.
func observe[D any](name string, read func(context.Context) (D, error), change func(D) *step.Change, fix func(context.Context, D) error) step.Step {
	return step.Step{
		Name: name,
		Check: func(ctx context.Context) (*step.Change, error) {
			d, err := read(ctx)
			if err != nil {
				return nil, err
			}
			return change(d), nil
		},
		Apply: func(ctx context.Context) error {
			d, err := read(ctx)
			if err != nil {
				return err
			}
			if change(d) == nil {
				return nil
			}
			return fix(ctx, d)
		},
	}
}

// SetupSteps returns setup's steps in order.
func (h *Host) SetupSteps() []step.Step {
	cfg := h.Config
	provider := netip.MustParsePrefix(cfg.Get("PROVIDER_NETWORK"))
	brex := netip.PrefixFrom(netip.MustParseAddr(cfg.Get("BREX_IP")), provider.Bits())
	containerNet := netip.MustParsePrefix(cfg.Get("CONTAINER_NETWORK"))
	mtu := cfg.Int("GLOBAL_PHYSNET_MTU")
	// Resolved once, by the first bridge step that needs it: the steps
	// run in order, and auto's fallback is said once.
	var resolved string
	datapath := func(ctx context.Context) (string, error) {
		if resolved == "" {
			d, err := h.resolveDatapath(ctx, cfg.Get("OVS_DATAPATH_TYPE"))
			if err != nil {
				return "", err
			}
			resolved = d
		}
		return resolved, nil
	}

	var steps []step.Step
	if h.systemSteps() {
		steps = append(steps,
			step.Step{Name: "Open vSwitch answers", Check: func(ctx context.Context) (*step.Change, error) {
				return nil, h.ovsAnswers(ctx)
			}},
			h.bridgeStep(IntegrationBridge, datapath, mtu),
			h.bridgeStep(ExternalBridge, datapath, mtu),
			h.addressStep(ExternalBridge, brex),
			h.networkStep(containerNet),
			h.kvmStep(KVMDevice),
			h.forwardStep(),
			h.natStep(Firewall{Provider: provider, Container: containerNet, Brex: brex.Addr(),
				Published: PublishedPorts(), ServiceUIDs: serviceUIDs(), Backends: Backends(cfg)}),
			h.firewalldStep(provider),
		)
	}
	steps = append(steps, h.blockStep(HostsFile+" entries", HostsFile, hostsBlock(), hostsEntries(cfg.Get("BREX_IP"))))
	for _, d := range h.dataDirs() {
		steps = append(steps, h.dirStep(d))
	}
	if h.systemSteps() {
		if _, err := exec.LookPath("semanage"); err == nil {
			steps = append(steps, h.labelStep(cfg.Get("HOTSTACK_DATA_DIR")))
		}
	}
	// After the data directories: the files live in them.
	steps = append(steps, h.upstreamStep(cfg.Get("BREX_IP")),
		h.volumePathStep(cfg.Get("NOVA_NFS_MOUNT_POINT_BASE"), cfg.Get("CINDER_NFS_EXPORT_DIR")))
	if h.systemSteps() {
		steps = append(steps, h.hypervisorStep(cfg.Get("HOTSTACK_DATA_DIR"), cfg.Get("NOVA_VIRT_TYPE")))
	}
	// No NFS export: Cinder's share reaches cinder-volume and nova-compute
	// as a bind mount (their mount.nfs is the helper's bind mount), so an
	// NFS server would only listen on the network for nothing. The block
	// an older hotstack-os wrote into /etc/exports goes.
	return append(steps, h.exportsStep(nil))
}

// CleanupSteps returns cleanup's steps: the managed blocks go; with Purge
// the bridges and the podman network go too. Data directories stay.
func (h *Host) CleanupSteps() []step.Step {
	steps := []step.Step{
		h.blockStep(HostsFile+" entries", HostsFile, hostsBlock(), nil),
		h.exportsStep(nil),
	}
	if h.systemSteps() {
		provider := netip.MustParsePrefix(h.Config.Get("PROVIDER_NETWORK"))
		steps = append(steps, h.natRemovalStep(), h.firewalldRemovalStep(provider))
	}
	if h.Purge && h.systemSteps() {
		steps = append(steps,
			h.networkRemovalStep(),
			h.bridgeRemovalStep(ExternalBridge),
			h.bridgeRemovalStep(IntegrationBridge),
		)
	}
	return steps
}

// hostChange is a change in the plan's host section.
func hostChange(action, target, detail string) *step.Change {
	return &step.Change{Section: step.Host, Action: action, Target: target, Detail: detail}
}

func (h *Host) bridgeStep(bridge string, datapath func(context.Context) (string, error), mtu int) step.Step {
	return observe("bridge "+bridge,
		func(ctx context.Context) (bridgeDiff, error) {
			dp, err := datapath(ctx)
			if err != nil {
				return bridgeDiff{}, err
			}
			return newVSwitch(ctx, h.Runner).diffBridge(bridge, dp, mtu)
		},
		func(d bridgeDiff) *step.Change {
			switch {
			case d.missing:
				return hostChange("create", "bridge "+bridge, fmt.Sprintf("datapath %s, mtu_request %d", d.datapath, mtu))
			case d.wrongDatapath || d.wrongMTU:
				return hostChange("update", "bridge "+bridge, fmt.Sprintf("datapath %s -> %s, mtu_request %s -> %d", d.curDatapath, d.datapath, d.curMTU, mtu))
			}
			return nil
		},
		func(ctx context.Context, d bridgeDiff) error {
			return newVSwitch(ctx, h.Runner).fixBridge(bridge, d.datapath, mtu, d)
		})
}

func (h *Host) bridgeRemovalStep(bridge string) step.Step {
	return observe("bridge "+bridge,
		func(ctx context.Context) (bool, error) { return newVSwitch(ctx, h.Runner).hasBridge(bridge) },
		func(exists bool) *step.Change {
			if !exists {
				return nil
			}
			return hostChange("remove", "bridge "+bridge, "")
		},
		func(ctx context.Context, _ bool) error { return newVSwitch(ctx, h.Runner).deleteBridge(bridge) })
}

func (h *Host) addressStep(dev string, addr netip.Prefix) step.Step {
	target := fmt.Sprintf("address %s on %s", addr, dev)
	return observe(target,
		func(ctx context.Context) (addressDiff, error) { return diffAddress(ctx, h.Runner, dev, addr), nil },
		func(d addressDiff) *step.Change {
			switch {
			case !d.present:
				return hostChange("create", target, "")
			case !d.up:
				return hostChange("update", target, "link "+dev+" down -> up")
			}
			return nil
		},
		func(ctx context.Context, d addressDiff) error { return fixAddress(ctx, h.Runner, dev, addr, d) })
}

func (h *Host) networkStep(subnet netip.Prefix) step.Step {
	target := "podman network " + NetworkName
	return observe(target,
		func(ctx context.Context) (bool, error) { return networkMissing(ctx, h.Runner, subnet) },
		func(missing bool) *step.Change {
			if !missing {
				return nil
			}
			return hostChange("create", target, fmt.Sprintf("subnet %s, dynamic addresses %s", subnet, dynamicRange(subnet)))
		},
		func(ctx context.Context, _ bool) error { return createNetwork(ctx, h.Runner, subnet) })
}

func (h *Host) networkRemovalStep() step.Step {
	target := "podman network " + NetworkName
	return observe(target,
		func(ctx context.Context) (bool, error) {
			_, exists, err := podmanNetworkSubnets(ctx, h.Runner)
			return exists, err
		},
		func(exists bool) *step.Change {
			if !exists {
				return nil
			}
			return hostChange("remove", target, "")
		},
		func(ctx context.Context, _ bool) error { return removeNetwork(ctx, h.Runner) })
}

// blockStep keeps the managed block of a host file holding body (removes it
// when body is nil).
func (h *Host) blockStep(name, file string, b Block, body []string) step.Step {
	return observe(name,
		func(context.Context) (fileEdit, error) { return h.readBlockEdit(file, b, body) },
		fileEdit.change,
		func(_ context.Context, e fileEdit) error {
			if err := h.recordCreatedFile(file, e); err != nil {
				return err
			}
			if err := e.write(); err != nil {
				return err
			}
			return h.forgetRemovedFile(file, e)
		})
}

// exportsStep is blockStep for /etc/exports, re-exporting after a change
// (on the live system) and restoring the file if exportfs rejects it.
func (h *Host) exportsStep(body []string) step.Step {
	return observe(ExportsFile+" export",
		func(context.Context) (fileEdit, error) { return h.readBlockEdit(ExportsFile, exportsBlock(), body) },
		fileEdit.change,
		func(ctx context.Context, e fileEdit) error {
			if err := h.recordCreatedFile(ExportsFile, e); err != nil {
				return err
			}
			if err := applyExports(ctx, h.Runner, e, h.systemSteps()); err != nil {
				return err
			}
			return h.forgetRemovedFile(ExportsFile, e)
		})
}

// readBlockEdit reads file (before the root prefix) for a block edit. A
// file that setup created and that holds nothing once the block is gone
// is to be deleted, not left empty.
func (h *Host) readBlockEdit(file string, b Block, body []string) (fileEdit, error) {
	e, err := readBlockEdit(h.path(file), b, body)
	if err != nil || body != nil || !e.exists || len(e.after) > 0 || h.Record == "" {
		return e, err
	}
	rec, err := record.Read(h.path(h.Record))
	if err != nil {
		return e, err
	}
	if k, ok := rec.Has(file); ok && k == record.File {
		e.remove = true
	}
	return e, nil
}

// recordCreatedFile notes a host file setup is about to create.
func (h *Host) recordCreatedFile(file string, e fileEdit) error {
	if e.exists || h.Record == "" {
		return nil
	}
	return record.Update(h.Root, h.Record, func(r *record.Record) {
		for _, d := range record.Missing(h.Root, filepath.Dir(file)) {
			r.Add(record.Dir, d)
		}
		r.Add(record.File, file)
	})
}

// forgetRemovedFile drops a host file cleanup deleted from the record.
func (h *Host) forgetRemovedFile(file string, e fileEdit) error {
	if !e.remove || h.Record == "" {
		return nil
	}
	return record.Update(h.Root, h.Record, func(r *record.Record) { r.Remove(file) })
}

// DataDirs are the directories setup keeps (before the root prefix).
func (h *Host) DataDirs() []string {
	var out []string
	for _, d := range h.dataDirs() {
		out = append(out, d.Path)
	}
	return out
}

func (h *Host) dirStep(d dataDir) step.Step {
	path := h.path(d.Path)
	target := "directory " + path
	return observe(target,
		func(context.Context) (dirDiff, error) { return diffDir(path, d) },
		func(s dirDiff) *step.Change {
			switch {
			case s.missing:
				return hostChange("create", target, fmt.Sprintf("mode %s, owner %d:%d", safepath.ModeString(d.Mode), d.UID, d.GID))
			case s.mode || s.owner:
				return hostChange("update", target, fmt.Sprintf("mode %s -> %s, owner %d:%d", safepath.ModeString(s.curMode), safepath.ModeString(wantMode(d.Mode)), d.UID, d.GID))
			}
			return nil
		},
		func(_ context.Context, s dirDiff) error {
			if s.missing && h.Record != "" {
				// Recorded first: a directory we create is never unknown to
				// purge, even if creating it fails half way.
				err := record.Update(h.Root, h.Record, func(r *record.Record) {
					for _, m := range record.Missing(h.Root, d.Path) {
						if m == d.Path {
							r.Add(record.Data, m)
						} else {
							r.Add(record.Dir, m)
						}
					}
				})
				if err != nil {
					return err
				}
			}
			return fixDir(path, d, s)
		})
}

func (h *Host) labelStep(dataDir string) step.Step {
	target := "SELinux label of " + dataDir
	return observe(target,
		func(ctx context.Context) (labelDiff, error) { return diffLabel(ctx, h.Runner, dataDir) },
		func(l labelDiff) *step.Change {
			if !l.ruleMissing && !l.relabel {
				return nil
			}
			return hostChange("update", target, "container_file_t")
		},
		func(ctx context.Context, l labelDiff) error { return fixLabel(ctx, h.Runner, dataDir, l) })
}

// hostMounts are host directories the containers mount that nothing else
// creates.
func hostMounts() []string { return []string{"/etc/iscsi", "/var/lib/iscsi"} }

// dataDirs is every directory setup keeps, each once: the containers' data
// under HOTSTACK_DATA_DIR, then the configurable paths (wherever they point).
func (h *Host) dataDirs() []dataDir {
	cfg := h.Config
	root := cfg.Get("HOTSTACK_DATA_DIR")
	var out []dataDir
	seen := map[string]bool{}
	add := func(d dataDir) {
		if !seen[d.Path] {
			seen[d.Path] = true
			out = append(out, d)
		}
	}
	for _, d := range containerDirs() {
		d.Path = filepath.Join(root, d.Path)
		add(d)
	}
	add(dataDir{Path: cfg.Get("NOVA_INSTANCES_PATH"), Mode: novaInstancesMode})
	add(dataDir{Path: cfg.Get("NOVA_NFS_MOUNT_POINT_BASE"), Mode: 0o755})
	add(dataDir{Path: cfg.Get("CINDER_NFS_EXPORT_DIR"), Mode: 0o755})
	// Host paths nova-compute mounts (iSCSI initiator state, as in the
	// original deployment); podman refuses a bind mount whose source is
	// missing. Outside the data directory: setup creates them when absent.
	for _, p := range hostMounts() {
		add(dataDir{Path: p, Mode: 0o755})
	}
	return out
}
