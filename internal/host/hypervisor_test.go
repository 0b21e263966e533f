package host

import "testing"

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
