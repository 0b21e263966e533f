package host

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/guest"
	"github.com/rs/zerolog"
)

func TestMarkerWriterSeesAMarkerSplitAcrossWrites(t *testing.T) {
	calls := 0
	w := &markerWriter{marker: kvmProbeMarker, seen: func() { calls++ }}
	for _, chunk := range []string{"[ 0.9] Run", "ning... [ 1.0] Freeing un", "used kernel image (initmem)", " more Freeing unused kernel"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if !w.found || calls != 1 {
		t.Errorf("found %v, seen called %d times; want true, once", w.found, calls)
	}
	quiet := &markerWriter{marker: kvmProbeMarker, seen: func() { t.Error("seen without the marker") }}
	_, _ = quiet.Write([]byte("KVM internal error. Suberror: 1"))
	if quiet.found {
		t.Error("found a marker that was never written")
	}
}

func TestVerdictRoundTrip(t *testing.T) {
	v := virtVerdict{virt: "qemu", bootID: "b7e1", reason: "probed: /dev/kvm is there but a guest kernel does not run under it: failed"}
	if got := parseVerdict([]byte(v.String())); got != v {
		t.Errorf("parse(%q) = %+v", v.String(), got)
	}
	if got := parseVerdict(nil); got.virt != "" {
		t.Errorf("an absent file reads as %+v", got)
	}
}

// pausingQEMU is a host whose QEMU fails as kvm-pvm makes it fail: it
// reports a KVM internal error, then pauses the guest and waits until it
// is killed. It counts QEMU's starts.
func pausingQEMU(t *testing.T, starts *int) *Host {
	var disk bytes.Buffer
	tw := tar.NewWriter(&disk)
	must(t, tw.WriteHeader(&tar.Header{Name: path.Base(guest.DiskPath), Mode: 0o644, Size: 4}))
	_, err := tw.Write([]byte("disk"))
	must(t, err)
	must(t, tw.Close())
	return &Host{Config: testConfig(t, ""), Log: zerolog.Nop(), Runner: &execx.Fake{Handler: func(ctx context.Context, c execx.Command) (execx.Result, error) {
		switch {
		case c.Name == "podman" && c.Args[0] == "create":
			return execx.Result{Stdout: []byte("c0ffee\n")}, nil
		case c.Name == "podman" && c.Args[0] == "cp":
			return execx.Result{Stdout: disk.Bytes()}, nil
		case c.Name == "qemu-system-x86_64":
			*starts++
			_, _ = c.Stderr.Write([]byte("KVM internal error. Suberror: 1\nextra data[0]: 0x0000000000000000\n"))
			<-ctx.Done()
			return execx.Result{}, ctx.Err()
		}
		return execx.Result{}, nil
	}}}
}

// TestKVMProbeStopsAPausedGuestAtOnce: after a KVM error QEMU waits for
// ever; the probe ends there, without waiting for its timeout, and says
// why. The step's check and apply share one probe.
func TestKVMProbeStopsAPausedGuestAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		starts := 0
		h := pausingQEMU(t, &starts)
		device := filepath.Join(t.TempDir(), "kvm")
		must(t, os.WriteFile(device, nil, 0o600))
		data := h.Config.Get("HOTSTACK_DATA_DIR")
		must(t, os.MkdirAll(filepath.Join(data, "nova"), 0o755))
		start := time.Now()
		virt, reason := h.probeKVM(context.Background(), data, device)
		if took := time.Since(start); took >= kvmProbeTimeout {
			t.Errorf("the probe waited %s, its whole timeout, for a guest QEMU had paused", took)
		}
		if virt != "qemu" || !strings.Contains(reason, "KVM internal error. Suberror: 1") {
			t.Errorf("verdict %q, %q; want qemu, with QEMU's error", virt, reason)
		}
		if starts != 1 {
			t.Errorf("QEMU started %d times, want 1", starts)
		}

		// The step's check and apply: one probe between them.
		starts = 0
		step := h.hypervisorStepFor(data, "auto", device)
		change, err := step.Check(context.Background())
		if err != nil || change == nil {
			t.Fatalf("check: %v, %v; want a change (no verdict yet)", change, err)
		}
		must(t, step.Apply(context.Background()))
		if starts != 1 {
			t.Errorf("check and apply started QEMU %d times, want once", starts)
		}
		got, err := os.ReadFile(filepath.Join(data, VirtTypeFile))
		if err != nil || !strings.HasPrefix(string(got), "qemu ") || !strings.Contains(string(got), "KVM internal error") {
			t.Errorf("verdict file %q, %v", got, err)
		}
	})
}
