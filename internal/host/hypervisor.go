package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/guest"
	"github.com/hotstack-os/hotstack-os/internal/step"
	"github.com/hotstack-os/hotstack-os/stack"
)

// A /dev/kvm that libvirt reports usable is not always one that runs a
// guest: on this project's machines the kernel offers KVM through kvm-pvm,
// under which QEMU fails at the first real-mode instructions ("KVM
// internal error") or cannot set the CPU's MSRs, whatever the CPU model.
// So setup proves KVM the way nova will use it: it boots the test guest's
// kernel under KVM and waits for the kernel to hand over to its init. The
// verdict goes to VirtTypeFile (below HOTSTACK_DATA_DIR's nova directory,
// which nova-compute mounts), and nova-compute's entrypoint uses it.
// NOVA_VIRT_TYPE in .env overrides the probe.

// VirtTypeFile is the verdict, relative to HOTSTACK_DATA_DIR: one line
// "<kvm|qemu> <boot id> <reason>". It is probed again after a reboot (a
// new boot id), as the kernel or its modules may have changed.
const VirtTypeFile = "nova/virt_type"

// bootIDFile names this boot of the kernel.
const bootIDFile = "/proc/sys/kernel/random/boot_id"

// kvmProbeMarker is what the guest kernel prints once it has run as far as
// handing over to userspace: proof that the CPU runs a 64-bit Linux under
// KVM, not only a BIOS.
const kvmProbeMarker = "Freeing unused kernel"

// kvmProbeTimeout bounds the probe: under working KVM the kernel gets
// there in about a second.
const kvmProbeTimeout = 30 * time.Second

// IsHypervisorStep tells the hypervisor step's name among a setup
// summary's, for up: nova-compute reads the verdict only when it starts.
func IsHypervisorStep(name string) bool { return strings.HasPrefix(name, hypervisorTarget) }

const hypervisorTarget = "hypervisor type for guests"

// virtVerdict is the content of VirtTypeFile.
type virtVerdict struct {
	virt, bootID, reason string
}

func (v virtVerdict) String() string { return v.virt + " " + v.bootID + " " + v.reason + "\n" }

func parseVerdict(b []byte) virtVerdict {
	f := strings.SplitN(strings.TrimSpace(string(b)), " ", 3)
	for len(f) < 3 {
		f = append(f, "")
	}
	return virtVerdict{virt: f[0], bootID: f[1], reason: f[2]}
}

// hypervisorStep keeps VirtTypeFile true for this boot.
func (h *Host) hypervisorStep(dataDir, want string) step.Step {
	return h.hypervisorStepFor(dataDir, want, KVMDevice)
}

// hypervisorStepFor is hypervisorStep probing device.
func (h *Host) hypervisorStepFor(dataDir, want, device string) step.Step {
	file := filepath.Join(h.path(dataDir), VirtTypeFile)
	target := hypervisorTarget + " (" + file + ")"
	type state struct{ cur, want virtVerdict }
	// The step's check and its apply both read the state: the probe
	// boots a guest, so they share one.
	var probed *virtVerdict
	return observe(target,
		func(ctx context.Context) (state, error) {
			b, err := os.ReadFile(file)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return state{}, err
			}
			cur := parseVerdict(b)
			id, err := os.ReadFile(bootIDFile)
			if err != nil {
				return state{}, err
			}
			boot := strings.TrimSpace(string(id))
			switch {
			case want != "auto":
				return state{cur, virtVerdict{want, boot, "NOVA_VIRT_TYPE=" + want + " in .env"}}, nil
			case cur.bootID == boot && strings.HasPrefix(cur.reason, "probed"):
				return state{cur, cur}, nil // probed this boot already
			}
			if probed == nil || probed.bootID != boot {
				virt, reason := h.probeKVM(ctx, dataDir, device)
				probed = &virtVerdict{virt, boot, reason}
			}
			return state{cur, *probed}, nil
		},
		func(s state) *step.Change {
			if s.cur == s.want {
				return nil
			}
			action := "update"
			if s.cur.virt == "" {
				action = "create"
			}
			return hostChange(action, target, s.want.virt+": "+s.want.reason)
		},
		func(_ context.Context, s state) error {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				return err
			}
			_, err := atomicfile.Write(file, []byte(s.want.String()), atomicfile.Options{Perm: 0o644})
			return err
		})
}

// probeKVM boots the test guest's disk under KVM and says whether its
// kernel got to userspace: "kvm" or "qemu", with the reason.
func (h *Host) probeKVM(ctx context.Context, dataDir, device string) (virt, reason string) {
	if _, err := os.Stat(device); err != nil {
		return "qemu", "probed: no " + device
	}
	disk := filepath.Join(h.path(dataDir), "nova", ".kvm-probe.img")
	if err := guest.Extract(ctx, h.Runner, guest.Image(h.Config.Get(stack.ReleaseKey)), disk); err != nil {
		return "qemu", fmt.Sprintf("probed: the test guest is not available to prove KVM with (%v)", err)
	}
	defer os.Remove(disk)
	pctx, cancel := context.WithTimeout(ctx, kvmProbeTimeout)
	defer cancel()
	// The guest runs on after the marker: stop it as soon as it is seen.
	console := &markerWriter{marker: kvmProbeMarker, seen: cancel}
	// After a KVM error QEMU pauses the guest and waits, for ever: stop it
	// there too, or every probe on such a host takes the whole timeout.
	var stderr bytes.Buffer
	stderrWatch := io.MultiWriter(&stderr, &markerWriter{marker: "KVM internal error", seen: cancel},
		&markerWriter{marker: "KVM: entry failed", seen: cancel})
	_, err := h.Runner.Run(pctx, execx.Command{Name: "qemu-system-x86_64", Args: []string{
		"-accel", "kvm", "-cpu", "host", "-m", "256", "-nodefaults", "-display", "none", "-no-reboot",
		"-serial", "stdio", "-drive", "file=" + disk + ",format=raw,if=virtio,snapshot=on"}, Stdout: console, Stderr: stderrWatch})
	if console.found {
		return "kvm", "probed: the test guest's kernel runs under KVM"
	}
	why := strings.TrimSpace(stderr.String())
	if why == "" && err != nil {
		why = err.Error()
	}
	if i := strings.IndexByte(why, '\n'); i > 0 {
		why = why[:i]
	}
	return "qemu", "probed: " + device + " is there but a guest kernel does not run under it: " + why
}

// markerWriter watches a stream for marker and calls seen once it shows.
type markerWriter struct {
	marker string
	seen   func()
	tail   string
	found  bool
}

func (w *markerWriter) Write(p []byte) (int, error) {
	if !w.found {
		w.tail += string(p)
		if strings.Contains(w.tail, w.marker) {
			w.found = true
			w.seen()
		}
		// Keep only what a marker split across writes needs.
		if n := len(w.tail) - len(w.marker); n > 0 {
			w.tail = w.tail[n:]
		}
	}
	return len(p), nil
}
