package guest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/stack"
)

// metadataEnv makes the test binary a one-shot metadata server (TestMain):
// QEMU runs it for each connection to 169.254.169.254:80.
const metadataEnv = "HOTSTACK_GUEST_TEST_METADATA"

// testImage is the default release's guest image, the one `mage images` builds.
var testImage = Image(stack.DefaultRelease)

func TestMain(m *testing.M) {
	if dir := os.Getenv(metadataEnv); dir != "" {
		os.Exit(serveMetadata(dir, os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// TestBoot boots the guest disk as nova would (virtio disk, two virtio
// NICs, the metadata on a config drive or from the metadata service)
// under QEMU with TCG, then checks over SSH what a cloud test relies on.
// It needs root, podman with the guest image (`mage images`), QEMU and
// the OpenSSH client, and skips without them. Only loopback and QEMU's
// user networking are used.
func TestBoot(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a VM under emulation: not in -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the guest image is in podman's system store")
	}
	for _, tool := range []string{"podman", "qemu-system-x86_64", "ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	if err := exec.Command("podman", "image", "exists", testImage).Run(); err != nil {
		t.Skipf("no %s (mage images builds it)", testImage)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	dir := t.TempDir()
	disk := filepath.Join(dir, "guest.img")
	if err := Extract(ctx, execx.System{}, testImage, disk); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(disk)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("disk image: %d bytes", fi.Size())
	if fi.Size() > 64<<20 {
		t.Errorf("disk image is %d bytes, want a few tens of MB at most", fi.Size())
	}
	key := filepath.Join(dir, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "boot-test", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []bootCase{
		{name: "bios-config-drive", configDrive: true},
		// q35, as nova's UEFI guests often are: the CD-ROM is on SATA.
		{name: "uefi-q35-config-drive", configDrive: true, firmware: "/usr/share/qemu/OVMF.fd", machine: "q35"},
		{name: "bios-metadata-service"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.firmware != "" {
				if _, err := os.Stat(c.firmware); err != nil {
					t.Skipf("no UEFI firmware (package ovmf): %v", err)
				}
			}
			bootAndCheck(ctx, t, c, disk, key, strings.TrimSpace(string(pub)))
		})
	}
}

// bootCase is one way nova may start the guest.
type bootCase struct {
	name     string
	firmware string // -bios: OVMF for UEFI; "" is SeaBIOS
	machine  string // -machine; "" is QEMU's default (pc, i440FX: IDE CD-ROM)
	// configDrive: the metadata on a config drive; else from the metadata
	// service, which QEMU forwards to this test binary (serveMetadata).
	configDrive bool
}

// bootAndCheck boots a copy-on-write view of disk (-snapshot) with fresh
// metadata and checks the guest over SSH.
func bootAndCheck(ctx context.Context, t *testing.T, c bootCase, disk, key, pub string) {
	dir := t.TempDir()
	uuid := newUUID(t)
	const vlanMAC = "fa:16:3e:00:01:01"
	meta, err := json.Marshal(map[string]any{
		"uuid": uuid, "name": "boot-test", "hostname": "boot-test.novalocal", "launch_index": 0,
		"availability_zone": "nova", "project_id": "0123", "devices": []any{},
		// As nova writes them: the key with its trailing newline.
		"public_keys": map[string]string{"boot-test": pub + "\n"},
		"keys":        []map[string]string{{"name": "boot-test", "type": "ssh", "data": pub + "\n"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	network := `{"links": [{"id": "tap0", "vif_id": "0", "type": "ovs", "mtu": 1500, "ethernet_mac_address": "52:54:00:12:34:56"}, ` +
		`{"id": "tap1", "vif_id": "1", "type": "ovs", "mtu": 1500, "ethernet_mac_address": "52:54:00:12:34:57"}, ` +
		`{"id": "tap2", "vif_id": "2", "type": "vlan", "mtu": 1500, "vlan_link": "tap0", "vlan_id": 101, "vlan_mac_address": "` + vlanMAC + `"}], ` +
		`"networks": [{"id": "network0", "type": "ipv4_dhcp", "link": "tap0", "network_id": "n0"}], "services": []}`
	userData := "#!/bin/sh\necho ran >/run/user-data-ran\nexit 3\n"
	files := map[string]string{"meta_data.json": string(meta), "network_data.json": network, "user_data": userData}

	port := freePort(t)
	// The guest fetches from this server through QEMU's gateway.
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hello guest") }))
	t.Cleanup(web.Close)
	monitor := filepath.Join(dir, "monitor.sock")
	args := []string{"-accel", "tcg", "-m", "256", "-smp", "1", "-display", "none", "-no-reboot",
		"-serial", "stdio", "-monitor", "unix:" + monitor + ",server=on,wait=off",
		"-drive", "file=" + disk + ",format=raw,if=virtio,snapshot=on",
		"-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56",
		"-netdev", "user,id=n1,net=10.0.3.0/24",
		"-device", "virtio-net-pci,netdev=n1,mac=52:54:00:12:34:57"}
	if c.firmware != "" {
		args = append(args, "-bios", c.firmware)
	}
	if c.machine != "" {
		args = append(args, "-machine", c.machine)
	}
	// QEMU's user network: the guest is .15, the gateway (the host's
	// loopback) .2, the name server .3.
	net0, source := "10.0.2", "config-drive /dev/sr0"
	user := fmt.Sprintf("user,id=n0,hostfwd=tcp:127.0.0.1:%d-:22", port)
	var env []string
	if c.configDrive {
		args = append(args, "-drive", "file="+configDrive(ctx, t, dir, files)+",media=cdrom,readonly=on")
	} else {
		// QEMU forwards only to addresses inside its network: make it
		// 169.254.169.0/24 so 169.254.169.254 can be the metadata service.
		net0, source = "169.254.169", "metadata-service"
		md := filepath.Join(dir, "metadata")
		writeTree(t, filepath.Join(md, "openstack", "latest"), files)
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(exe, " ,") {
			t.Skipf("the test binary's path %q cannot be a QEMU guestfwd command", exe)
		}
		user += ",net=169.254.169.0/24,guestfwd=tcp:169.254.169.254:80-cmd:" + exe
		env = append(os.Environ(), metadataEnv+"="+md)
	}
	args = append(args, "-netdev", user)
	qemu := exec.Command("qemu-system-x86_64", args...)
	qemu.Env = env
	serial := &consoleLog{marker: make(chan string, 1)}
	qemu.Stdout, qemu.Stderr = serial, serial
	start := time.Now()
	if err := qemu.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = qemu.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = qemu.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("serial console:\n%s", serial.String())
		}
	})

	// QEMU accepts the forwarded connection before the guest listens; the
	// banner wait (ConnectTimeout) is what a probe before boot waits for.
	sshWithin := func(connect int, command string) (string, error) {
		cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
		defer ccancel()
		out, err := exec.CommandContext(cctx, "ssh", "-F", "/dev/null", "-i", key, "-p", fmt.Sprint(port),
			"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
			"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", fmt.Sprintf("ConnectTimeout=%d", connect),
			"root@127.0.0.1", command).CombinedOutput()
		return string(out), err
	}
	ssh := func(command string) (string, error) { return sshWithin(10, command) }

	// SSH first: dropbear starts before the VLANs and the user data,
	// so this is the time a test waits for a usable guest.
	deadline := time.Now().Add(4 * time.Minute)
	for {
		if _, err := sshWithin(2, "true"); err == nil {
			break
		}
		select {
		case <-exited:
			t.Fatalf("qemu exited before SSH answered: %v", qemu.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no SSH within 4 minutes")
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("qemu start to SSH answering: %s", time.Since(start).Round(100*time.Millisecond))
	var line string
	select {
	case line = <-serial.marker:
	case <-time.After(time.Until(deadline)):
		t.Fatalf("no %q on the serial console", BootMarker)
	}
	t.Logf("qemu start to boot marker: %s: %s", time.Since(start).Round(100*time.Millisecond), line)
	if !strings.Contains(line, uuid) || !strings.Contains(line, "eth0="+net0+".15/24") || !strings.Contains(line, "eth1=10.0.3.15/24") {
		t.Errorf("boot marker %q lacks the uuid or the addresses", line)
	}

	check := func(command, want string) {
		t.Helper()
		out, err := ssh(command)
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("%s: got %q (%v), want it to contain %q", command, out, err, want)
		}
	}
	// The metadata, the keys from it, the user data run.
	check("cat /run/metadata-source", source)
	// The firmware the guest says it booted with (the smoke's UEFI check
	// reads this line from nova's console log).
	firmware := "firmware bios"
	if c.firmware != "" {
		firmware = "firmware uefi"
	}
	check("cat /run/hotstack-guest.log", firmware)
	check("cat /run/hotstack-guest.log", "disks: vda")
	check("cat /run/instance-id", uuid)
	check("cat /run/meta_data.json", `"uuid":"`+uuid+`"`)
	check("hostname", "boot-test")
	check("cat /root/.ssh/authorized_keys", pub)
	check("cat /run/user-data-ran /run/user-data.done", "ran\n3\n")
	// DHCP on every NIC, the first NIC's default route first.
	check("ip -4 addr show dev eth0", "inet "+net0+".15/24")
	check("ip -4 addr show dev eth1", "inet 10.0.3.15/24")
	check("ip route | grep ^default | head -n 1", "default via "+net0+".2 dev eth0")
	check("cat /etc/resolv.conf", "nameserver "+net0+".3")
	check("wget -q -O - http://"+net0+".2:"+portOf(t, web.URL)+"/", "hello guest")
	// The VLAN subport network_data.json describes, and one by hand, with
	// udhcpc running on it (QEMU's network has no VLANs: no lease).
	check("cat /sys/class/net/eth0.101/address", vlanMAC)
	check("ip link add link eth0 name eth0.102 type vlan id 102 && ip link set eth0.102 up && cat /proc/net/vlan/eth0.102", "VID: 102")
	check("udhcpc -i eth0.102 -n -q -t 1 -T 1 -s /usr/share/udhcpc/default.script >/dev/null 2>&1; echo rc=$?", "rc=1")
	// The tools a test uses over SSH, and the disks.
	if out, _ := ssh("for c in sh ip ping wget nslookup cat grep mount blockdev lsblk udhcpc modprobe dbclient; do command -v $c >/dev/null || echo missing $c; done"); strings.TrimSpace(out) != "" {
		t.Errorf("tools: %s", out)
	}
	check("lsblk", fmt.Sprintf("%-10s %14d", "vda", mustSize(t, disk)))
	check("blockdev --getsize64 /dev/vda", fmt.Sprint(mustSize(t, disk)))
	if out, err := ssh("ping -c 1 -W 5 " + net0 + ".2"); err != nil {
		// QEMU forwards ICMP only where the host lets it open ping sockets.
		t.Logf("ping %s.2 (not required): %v %s", net0, err, out)
	}
	if !c.configDrive {
		// The first request was refused (a metadata service still
		// starting): the guest retried, then fetched all three files.
		log, err := os.ReadFile(filepath.Join(dir, "metadata", "requests"))
		if err != nil {
			t.Fatal(err)
		}
		want := "503 /openstack/latest/meta_data.json\n200 /openstack/latest/meta_data.json\n" +
			"200 /openstack/latest/user_data\n200 /openstack/latest/network_data.json\n"
		if string(log) != want {
			t.Errorf("metadata requests:\n%s\nwant:\n%s", log, want)
		}
	}

	// The power button powers the guest off (nova's stop).
	stop := time.Now()
	mon, err := net.Dial("unix", monitor)
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	if _, err := fmt.Fprintln(mon, "system_powerdown"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		t.Logf("power button to QEMU exit: %s", time.Since(stop).Round(100*time.Millisecond))
	case <-time.After(90 * time.Second):
		t.Error("the guest did not power off within 90 s of the power button")
	}
}

// configDrive makes a config drive as nova does (genisoimage, label
// config-2, files under openstack/latest), with the genisoimage of the
// guest image: the host need not have it.
func configDrive(ctx context.Context, t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	writeTree(t, filepath.Join(dir, "drive", "openstack", "latest"), files)
	// Explicit limits: podman's defaults exceed the hard limits of hosts
	// that deny it CAP_SYS_RESOURCE.
	out, err := exec.CommandContext(ctx, "podman", "run", "--rm", "--network=none", "--pull=never",
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--volume", dir+":/cd", "--entrypoint", "genisoimage", testImage,
		"-o", "/cd/config.iso", "-ldots", "-allow-lowercase", "-allow-multidot", "-l", "-quiet", "-J", "-r", "-V", "config-2", "/cd/drive").CombinedOutput()
	if err != nil {
		t.Fatalf("genisoimage in %s: %v\n%s", testImage, err, out)
	}
	return filepath.Join(dir, "config.iso")
}

// writeTree writes files into dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// serveMetadata answers one HTTP request on r/w from the files under dir
// (…/metadata/openstack/latest/...), as the metadata service would, and
// appends "STATUS PATH" to dir/requests. The very first request gets a
// 503, as from a metadata service not ready yet. Each connection is a
// new process (QEMU's guestfwd runs one per connection), so the count is
// kept in that file.
func serveMetadata(dir string, r io.Reader, w io.Writer) int {
	br := bufio.NewReader(r)
	req, err := http.ReadRequest(br)
	if err != nil {
		return 1
	}
	log := filepath.Join(dir, "requests")
	prev, _ := os.ReadFile(log)
	status, body := http.StatusOK, []byte(nil)
	if len(prev) == 0 {
		status = http.StatusServiceUnavailable
	} else if strings.Contains(req.URL.Path, "..") {
		status = http.StatusNotFound
	} else if body, err = os.ReadFile(filepath.Join(dir, filepath.FromSlash(req.URL.Path))); err != nil {
		status = http.StatusNotFound
	}
	f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return 1
	}
	fmt.Fprintf(f, "%d %s\n", status, req.URL.Path)
	f.Close()
	resp := &http.Response{StatusCode: status, ProtoMajor: 1, ProtoMinor: 0, ContentLength: int64(len(body)),
		Body: io.NopCloser(bytes.NewReader(body)), Close: true, Header: http.Header{"Content-Type": {"text/plain"}}}
	if err := resp.Write(w); err != nil {
		return 1
	}
	return 0
}

// consoleLog keeps QEMU's serial output and hands over the boot marker
// line once it is printed.
type consoleLog struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	line   []byte
	marker chan string
}

func (c *consoleLog) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	c.line = append(c.line, p...)
	for {
		i := bytes.IndexByte(c.line, '\n')
		if i < 0 {
			break
		}
		l := strings.TrimRight(string(c.line[:i]), "\r")
		c.line = c.line[i+1:]
		if j := strings.Index(l, BootMarker); j >= 0 {
			select {
			case c.marker <- l[j:]:
			default:
			}
		}
	}
	return len(p), nil
}

func (c *consoleLog) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The tail: the firmware's and the kernel's lines are many.
	s := bufio.NewScanner(bytes.NewReader(c.buf.Bytes()))
	var lines []string
	for s.Scan() {
		lines = append(lines, s.Text())
	}
	if len(lines) > 150 {
		lines = lines[len(lines)-150:]
	}
	return strings.Join(lines, "\n")
}

func newUUID(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// freePort is a loopback port free a moment ago, for QEMU's forward.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func portOf(t *testing.T, url string) string {
	_, port, err := net.SplitHostPort(strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func mustSize(t *testing.T, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
