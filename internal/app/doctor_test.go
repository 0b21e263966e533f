package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/exitcode"
)

// fakeDoctorHost is a host under a temporary root whose commands answer
// as given: goVersion from `go env GOVERSION`, the packages dpkg lists,
// and whether Open vSwitch answers.
func fakeDoctorHost(t *testing.T, files map[string]string, goVersion string, installed []string, ovs bool) doctorHost {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		writeFile(t, filepath.Join(root, p), content)
	}
	runner := &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		switch c.Name {
		case "go":
			if goVersion == "" {
				return execx.Result{}, errors.New("not found")
			}
			fmt.Fprintln(c.Stdout, goVersion)
		case "dpkg-query":
			for _, p := range installed {
				fmt.Fprintf(c.Stdout, "%s install ok installed\n", p)
			}
		case "ovs-vsctl":
			if !ovs {
				return execx.Result{}, errors.New("exit status 1")
			}
		case "modprobe":
			return execx.Result{}, errors.New("exit status 1")
		}
		return execx.Result{}, nil
	}}
	free := func(string) (uint64, error) { return 100 << 30, nil }
	return doctorHost{Root: root, Runner: runner, FreeBytes: free}
}

// TestDoctor: a host with everything reports ok and succeeds; a host
// missing required parts names each with its fix and fails, while
// optional ones (KVM, the OVS module) never fail it.
func TestDoctor(t *testing.T) {
	ctx := context.Background()
	good := map[string]string{
		"run/systemd/system/.keep":         "",
		"run/libvirt/libvirt-sock":         "",
		"sys/fs/cgroup/cgroup.controllers": "cpu memory hugetlb",
		"proc/meminfo":                     "MemTotal:       24576000 kB\n",
		"var/lib/.keep":                    "",
	}
	h := fakeDoctorHost(t, good, "go1.26.8", append(debianPackages, "python3-openstackclient"), true)
	var out bytes.Buffer
	if err := runDoctor(ctx, &out, h, doctorChecks("/var/lib/hotstack-os")); err != nil {
		t.Fatalf("doctor on a good host: %v\n%s", err, out.String())
	}
	for _, want := range []string{"ok       Go 1.26 or newer", "optional KVM", "optional Open vSwitch kernel datapath", "every prerequisite is present"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor did not say %q:\n%s", want, out.String())
		}
	}

	bad := map[string]string{
		"sys/fs/cgroup/unified/cgroup.controllers": "cpu hugetlb",
		"proc/meminfo": "MemTotal:       4096000 kB\n",
	}
	h = fakeDoctorHost(t, bad, "go1.19.8", []string{"mmdebstrap", "nftables"}, false)
	h.EUID = 1000
	out.Reset()
	err := runDoctor(ctx, &out, h, doctorChecks("/var/lib/hotstack-os"))
	var exit *exitcode.Error
	if !errors.As(err, &exit) || exit.Code != exitcode.Failure {
		t.Fatalf("doctor on a bare host: %v", err)
	}
	for _, want := range []string{
		"MISSING  root", "sudo -i",
		"MISSING  systemd",
		"go1.19.8 is too old", "https://go.dev/dl/",
		"missing podman, openvswitch-switch", "apt-get install podman mmdebstrap",
		"MISSING  Open vSwitch answers", "systemctl enable --now openvswitch-switch",
		"MISSING  libvirtd answers",
		"MISSING  cgroups podman can use", "mount -t cgroup -o hugetlb",
		"optional memory", "below 8 GiB",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor did not say %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(err.Error(), "7 prerequisite(s) missing") {
		t.Errorf("error: %v\n%s", err, out.String())
	}
	if _, statErr := os.Stat(filepath.Join(h.Root, "var")); statErr == nil {
		t.Error("doctor wrote to the host")
	}
}
