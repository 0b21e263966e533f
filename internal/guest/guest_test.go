package guest

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// guestFiles are the files BuildScript carries, by their name in the
// guest's build directory.
func guestFiles() map[string]string {
	return map[string]string{"init": initScript, "lib.sh": libScript, "udhcpc.script": udhcpcScript, "lsblk": lsblkScript}
}

// TestBuildScriptCarriesEveryFile: each guest file is in the build script
// byte for byte, and none could end its here-document early.
func TestBuildScriptCarriesEveryFile(t *testing.T) {
	s := BuildScript()
	if !strings.HasPrefix(s, "#!/bin/sh\n") || !strings.Contains(s, "set -eu\n") {
		t.Errorf("the build script does not start as a strict sh script:\n%.200s", s)
	}
	for name, content := range guestFiles() {
		want := "cat >\"$files/" + name + "\" <<'" + heredocEnd + "'\n" + content + heredocEnd + "\n"
		if !strings.Contains(s, want) {
			t.Errorf("%s is not carried verbatim", name)
		}
		for _, line := range strings.Split(content, "\n") {
			if line == heredocEnd {
				t.Errorf("%s has a line %q, which ends its here-document", name, heredocEnd)
			}
		}
		if !strings.HasSuffix(content, "\n") {
			t.Errorf("%s does not end with a newline", name)
		}
	}
	for _, want := range []string{"DISK=" + DiskPath + "\n", `MODULES="virtio_pci virtio_blk virtio_net`, `CMDLINE="` + KernelCmdline + `"`} {
		if !strings.Contains(s, want) {
			t.Errorf("the build script lacks %q", want)
		}
	}
	if BuildScript() != s {
		t.Error("BuildScript is not deterministic (the image would rebuild every time)")
	}
}

// TestScriptsParse: every script is valid sh, for dash (the image build)
// and for busybox (the guest) when it is installed.
func TestScriptsParse(t *testing.T) {
	scripts := guestFiles()
	scripts["build"] = BuildScript()
	shells := [][]string{{"sh", "-n"}}
	if _, err := exec.LookPath("busybox"); err == nil {
		shells = append(shells, []string{"busybox", "sh", "-n"})
	}
	for name, content := range scripts {
		for _, sh := range shells {
			cmd := exec.Command(sh[0], sh[1:]...)
			cmd.Stdin = strings.NewReader(content)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: %s: %v\n%s", strings.Join(sh, " "), name, err, out)
			}
		}
	}
}

// TestBootMarkerIsPrinted: the line tests wait for is the one /init
// prints last.
func TestBootMarkerIsPrinted(t *testing.T) {
	if !strings.Contains(initScript, "echo \"hotstack-guest: $*\"") || !strings.Contains(initScript, "say \"booted $uuid addresses:") {
		t.Fatalf("/init does not print %q", BootMarker)
	}
	if BootMarker != "hotstack-guest: "+"booted " {
		t.Fatalf("BootMarker %q does not match /init's say + \"booted \"", BootMarker)
	}
	if !strings.HasSuffix(strings.TrimSpace(initScript), "exec /sbin/init") {
		t.Error("/init does not end by handing PID 1 to busybox init")
	}
}

// busyboxPath is a directory of links to busybox's applets, so a script
// runs with the guest's own sed, grep and tr; "" without busybox.
func busyboxPath(t *testing.T) string {
	t.Helper()
	bb, err := exec.LookPath("busybox")
	if err != nil {
		return ""
	}
	out, err := exec.Command(bb, "--list").Output()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, a := range strings.Fields(string(out)) {
		if err := os.Symlink(bb, filepath.Join(dir, a)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runLib runs script after sourcing lib.sh, with busybox's applets when
// they are installed (the guest's), else the host's tools.
func runLib(t *testing.T, script string) string {
	t.Helper()
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib.sh")
	if err := os.WriteFile(lib, []byte(libScript), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", ". "+lib+"\n"+script)
	cmd.Dir = dir
	if bb := busyboxPath(t); bb != "" {
		cmd = exec.Command(filepath.Join(bb, "sh"), "-c", ". "+lib+"\n"+script)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + bb}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return string(out)
}

// Nova's formats, one line each as it writes them (json.dumps).
const (
	novaMetaData    = `{"uuid": "2f7c1f4e-8a43-4c5e-9d36-1f0e2b6a9c11", "meta": {"note": "ssh-rsa is not a key here"}, "public_keys": {"alice": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhvdHN0YWNrLWd1ZXN0LXRlc3Qta2V5LWFsaWNl alice@example\n", "bob": "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGJvYg== \n"}, "keys": [{"name": "alice", "type": "ssh", "data": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhvdHN0YWNrLWd1ZXN0LXRlc3Qta2V5LWFsaWNl alice@example\n"}], "hostname": "vm-1.novalocal", "name": "vm-1", "launch_index": 0, "availability_zone": "nova", "random_seed": "c2VlZA==", "project_id": "5d3c", "devices": [], "dedicated_cpus": []}`
	novaNetworkData = `{"links": [{"id": "tapa1b2c3d4-e5", "vif_id": "a1b2c3d4-e5f6", "type": "ovs", "mtu": 1442, "ethernet_mac_address": "fa:16:3e:11:22:33"}, {"id": "tapf0e1d2c3-b4", "vif_id": "f0e1d2c3-b4a5", "type": "ovs", "mtu": 1442, "ethernet_mac_address": "fa:16:3e:44:55:66"}, {"id": "tap0a0b0c0d-0e", "vif_id": "0a0b0c0d-0e0f", "type": "vlan", "mtu": 1442, "vlan_link": "tapf0e1d2c3-b4", "vlan_id": 101, "vlan_mac_address": "fa:16:3e:77:88:99"}], "networks": [{"id": "network0", "type": "ipv4_dhcp", "link": "tapa1b2c3d4-e5", "network_id": "9e1d"}, {"id": "network1", "type": "ipv4_dhcp", "link": "tap0a0b0c0d-0e", "network_id": "7c2a"}], "services": [{"type": "dns", "address": "10.0.0.2"}]}`
)

// TestLibReadsNovaMetadata: the uuid, the hostname, every public key
// without nova's trailing "\n", and the VLAN subport with its parent's
// MAC, from files as nova writes them.
func TestLibReadsNovaMetadata(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"meta_data.json": novaMetaData, "network_data.json": novaNetworkData} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	meta, network := filepath.Join(dir, "meta_data.json"), filepath.Join(dir, "network_data.json")
	for script, want := range map[string]string{
		"jstr uuid <" + meta:     "2f7c1f4e-8a43-4c5e-9d36-1f0e2b6a9c11\n",
		"jstr hostname <" + meta: "vm-1.novalocal\n",
		"ssh_keys " + meta: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhvdHN0YWNrLWd1ZXN0LXRlc3Qta2V5LWFsaWNl alice@example\n" +
			"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGJvYg== \n",
		"vlan_links " + network:              "101 fa:16:3e:44:55:66 fa:16:3e:77:88:99\n",
		"echo '{}' > e; ssh_keys e; :":       "",
		"echo '{}' > e; vlan_links e":        "",
		`echo '{"a": 1, "b": "x"}' | jval a`: "1\n",
	} {
		if got := runLib(t, script); got != want {
			t.Errorf("%s:\n got %q\nwant %q", script, got, want)
		}
	}
}

// TestUDHCPCScriptAppliesLease runs the lease script in a chroot of
// busybox with a recording ip: the address, the MTU, neutron's classless
// routes (the metadata route and the default) in place of the router
// option, and the name servers. ip is a shell function (busybox's sh
// runs its own applets before anything on PATH), and the chroot is in a
// network namespace of its own, so nothing can reach the host's links.
func TestUDHCPCScriptAppliesLease(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for chroot")
	}
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox is not installed")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare is not installed")
	}
	root := t.TempDir()
	for _, d := range []string{"bin", "run/resolv.d", "etc", "dev", "sys/class/net/eth1"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"bin/busybox":                string(data),
		"lease":                      udhcpcScript,
		"sys/class/net/eth1/ifindex": "3\n",
		"sys/class/net/eth1/address": "fa:16:3e:11:22:33\n",
		"run/resolv.d/eth0":          "nameserver 192.0.2.53\n",
		"dev/console":                "",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []string{"sh", "cat", "echo", "ipcalc", "mkdir", "rmdir", "mv", "usleep"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	chroot, err := exec.LookPath("chroot")
	if err != nil {
		t.Skip("chroot is not installed")
	}
	cmd := exec.Command("unshare", "--net", chroot, root, "/bin/sh", "-c", `ip() { echo "ip $*" >>/run/ip.log; }; set -- bound; . /lease`)
	cmd.Env = []string{"PATH=/bin", "interface=eth1", "ip=10.0.0.5", "subnet=255.255.255.0", "mask=24", "router=10.0.0.1",
		"dns=10.0.0.2 10.0.0.3", "domain=openstacklocal", "mtu=1442", "broadcast=10.0.0.255",
		"staticroutes=169.254.169.254/32 10.0.0.2 0.0.0.0/0 10.0.0.1"}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	wantIP := "ip link set eth1 mtu 1442\n" +
		"ip -4 addr flush dev eth1\n" +
		"ip addr add 10.0.0.5/24 broadcast 10.0.0.255 dev eth1\n" +
		"ip route add 169.254.169.254/32 via 10.0.0.2 dev eth1 metric 103\n" +
		"ip route add 0.0.0.0/0 via 10.0.0.1 dev eth1 metric 103\n"
	if got := read("run/ip.log"); got != wantIP {
		t.Errorf("ip calls:\n%s\nwant:\n%s", got, wantIP)
	}
	if got, want := read("etc/resolv.conf"), "nameserver 192.0.2.53\nsearch openstacklocal\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n"; got != want {
		t.Errorf("resolv.conf:\n%s\nwant (eth0's kept):\n%s", got, want)
	}
	if _, err := os.Stat(filepath.Join(root, "run", "resolv.lock")); err == nil {
		t.Error("the lock is left behind")
	}
	if got := read("dev/console"); got != "hotstack-guest: eth1 fa:16:3e:11:22:33 10.0.0.5/24 via 10.0.0.1\n" {
		t.Errorf("console: %q", got)
	}
}

// fakePodman answers podman create, cp (a tar holding disk) and rm;
// cpErr makes the copy fail.
func fakePodman(t *testing.T, disk []byte, cpErr error) *execx.Fake {
	return &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		if c.Name != "podman" {
			return execx.Result{}, errors.New("unexpected " + c.String())
		}
		switch c.Args[0] {
		case "create":
			return execx.Result{Stdout: []byte("c0ffee\n")}, nil
		case "cp":
			if cpErr != nil {
				return execx.Result{}, cpErr
			}
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			if err := tw.WriteHeader(&tar.Header{Name: "guest.img", Mode: 0o644, Size: int64(len(disk)), Typeflag: tar.TypeReg}); err != nil {
				t.Fatal(err)
			}
			if _, err := tw.Write(disk); err != nil {
				t.Fatal(err)
			}
			if err := tw.Close(); err != nil {
				t.Fatal(err)
			}
			return execx.Result{Stdout: buf.Bytes()}, nil
		case "rm":
			return execx.Result{}, nil
		}
		return execx.Result{}, errors.New("unexpected " + c.String())
	}}
}

// TestExtract: the disk comes out of a created (never started) container
// that is removed afterwards, also when the copy fails.
func TestExtract(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "guest.img")
	disk := []byte("\xeb\x63\x90 a boot sector and more")
	f := fakePodman(t, disk, nil)
	if err := Extract(context.Background(), f, testImage, dest); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dest)
	if err != nil || !bytes.Equal(got, disk) {
		t.Fatalf("dest holds %q (%v), want %q", got, err, disk)
	}
	want := []string{"podman create --pull=never " + testImage, "podman cp c0ffee:" + DiskPath + " -", "podman rm --force c0ffee"}
	if calls := f.Calls(); strings.Join(calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
	}

	f = fakePodman(t, nil, errors.New("no such file"))
	if err := Extract(context.Background(), f, testImage, filepath.Join(t.TempDir(), "x.img")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("err = %v, want the copy's error", err)
	}
	if calls := f.Calls(); calls[len(calls)-1] != "podman rm --force c0ffee" {
		t.Errorf("the container was not removed after a failed copy: %v", calls)
	}
}
