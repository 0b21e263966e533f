package openstack

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	_ "embed"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/volumeattach"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/layer3/floatingips"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/layer3/routers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"golang.org/x/crypto/ssh"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"

	"github.com/hotstack-os/hotstack-os/internal/cloudnames"
)

// dataPlaneTemplate is the stack the data-plane checks log in to: see its
// description.
//
//go:embed dataplane.yaml
var dataPlaneTemplate string

// subport is one of server A's trunk subports: its VLAN, its address, and
// server B's address on the same network (the template fixes them).
type subport struct {
	vlan            int
	ip, serverB, on string
}

// subports are the trunk's two VLANs, on nets B and C.
var subports = []subport{{101, "10.251.2.10", "10.251.2.20", "net B"}, {102, "10.251.3.10", "10.251.3.20", "net C"}}

const (
	// attachedSectors is the 1 GiB attached volume in 512-byte sectors
	// (/sys/block/*/size).
	attachedSectors = 1 << 30 / 512
)

// The data-plane checks, after the control-plane ones.
const (
	checkGuestReady = "test guest image, flavor and public network"
	checkDataStack  = "data-plane stack reaches CREATE_COMPLETE"
	checkPing       = "floating IPs answer ping"
	checkSSH        = "SSH over the floating IPs"
	checkMetadata   = "guests know their own UUID (metadata service, config drive)"
	checkUserData   = "user_data ran"
	checkAttached   = "attached volume is a 1 GiB block device"
	checkVolumeOps  = "volume attached, detached, extended, attached again"
	checkVLAN       = "trunk subports: each VLAN interface gets its address and reaches server B"
	checkDNS        = "guest resolves names through the cloud's dnsmasq"
	checkEgress     = "guest reaches the outside through the host's masquerade"
)

// sshWait bounds the wait for a guest's SSH: a guest boots in seconds
// under KVM, in a minute or two under emulation (TCG) on a loaded host.
const sshWait = 6 * time.Minute

// dataPlane is what the data-plane checks share.
type dataPlane struct {
	stackID, stackName string
	guestImageID       string
	// The test guest's copies with UEFI and rescue properties
	// (lifecycle checks); "" when those are off.
	uefiImage, rescueImage    string
	serverA, serverB, serverC string // server IDs; C only with uefiImage
	fipA, fipB                string
	signer                    ssh.Signer
	marker                    string
}

// dataPlaneChecks runs the data-plane checks in order.
func (s *smoke) dataPlaneChecks(ctx context.Context) {
	s.check(ctx, checkGuestReady, []string{checkToken}, s.guestReady)
	s.check(ctx, checkLifecycleImages, []string{checkGuestReady}, s.lifecycleImages)
	s.check(ctx, checkDataStack, []string{checkGuestReady, checkHypervisor, checkEngine}, s.dataStack)
	s.check(ctx, checkPing, []string{checkDataStack}, s.pingFloatingIPs)
	s.check(ctx, checkSSH, []string{checkDataStack}, s.sshBoth)
	s.check(ctx, checkMetadata, []string{checkSSH}, s.metadataUUIDs)
	s.check(ctx, checkUserData, []string{checkSSH}, s.userDataRan)
	s.check(ctx, checkAttached, []string{checkSSH}, s.attachedVolume)
	s.check(ctx, checkVolumeOps, []string{checkSSH, checkVolume}, s.volumeAttachExtendDetach)
	s.check(ctx, checkVLAN, []string{checkSSH}, s.vlanSubport)
	s.check(ctx, checkDNS, []string{checkSSH}, s.dnsResolves)
	s.check(ctx, checkEgress, []string{checkSSH}, s.egress)
	s.check(ctx, checkUEFI, []string{checkDataStack, checkLifecycleImages}, s.uefiBoots)
	s.check(ctx, checkRebuild, []string{checkSSH}, s.rebuildVolumeBacked)
	s.check(ctx, checkRescue, []string{checkSSH, checkLifecycleImages}, s.rescueAndUnrescue)
}

func (s *smoke) guestReady(ctx context.Context) (string, error) {
	if s.clients.image == nil || s.clients.compute == nil || s.clients.network == nil {
		return "", skipError{"needs image, compute and network endpoints"}
	}
	hint := " (mage post-setup creates it; mage up runs post-setup)"
	pages, err := images.List(s.clients.image, images.ListOpts{Name: s.o.GuestImage}).AllPages(ctx)
	if err != nil {
		return "", fmt.Errorf("list images: %w", err)
	}
	imgs, err := images.ExtractImages(pages)
	if err != nil {
		return "", err
	}
	if len(imgs) == 0 || imgs[0].Status != images.ImageStatusActive {
		return "", fmt.Errorf("no active image %q%s", s.o.GuestImage, hint)
	}
	s.dp.guestImageID = imgs[0].ID
	all, err := allFlavors(ctx, s.clients.compute)
	if err != nil {
		return "", err
	}
	if !slices.ContainsFunc(all, func(f flavors.Flavor) bool { return f.Name == s.o.Flavor }) {
		return "", fmt.Errorf("no flavor %q%s", s.o.Flavor, hint)
	}
	npages, err := networks.List(s.clients.network, networks.ListOpts{Name: s.o.PublicNetwork}).AllPages(ctx)
	if err != nil {
		return "", fmt.Errorf("list networks: %w", err)
	}
	nets, err := networks.ExtractNetworks(npages)
	if err != nil {
		return "", err
	}
	if len(nets) == 0 {
		return "", fmt.Errorf("no network %q%s", s.o.PublicNetwork, hint)
	}
	return fmt.Sprintf("image %s (%s), flavor %s, network %s", s.o.GuestImage, sizeMiB(imgs[0].SizeBytes), s.o.Flavor, s.o.PublicNetwork), nil
}

func sizeMiB(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func (s *smoke) dataStack(ctx context.Context) (string, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return "", err
	}
	s.dp.signer = signer
	s.dp.marker = "smoke-" + randomSuffix()
	c := s.clients.orchestration
	name := s.name("dataplane")
	s.attempt(kindStack)
	params := map[string]any{
		"image": s.o.GuestImage, "flavor": s.o.Flavor, "public_net": s.o.PublicNetwork,
		"public_key": strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))),
		"dns":        s.o.DNSServer, "marker": s.dp.marker,
	}
	if s.dp.uefiImage != "" {
		params["uefi_image"] = s.dp.uefiImage
	}
	start := time.Now()
	id, err := createStackWith(ctx, c, name, dataPlaneTemplate, params, int(max(2*s.o.Timeout/time.Minute, 1)))
	if err != nil {
		return "", err
	}
	s.track(resource{kind: kindStack, id: id, name: name})
	s.dp.stackID, s.dp.stackName = id, name
	st, err := waitStackCreated(ctx, c, name, id, 2*s.o.Timeout)
	if err != nil {
		return "", fmt.Errorf("%w; %s", err, unfinishedResources(ctx, c, name, id))
	}
	out := st.outputs()
	s.dp.serverA, s.dp.serverB, s.dp.fipA, s.dp.fipB = out["server_a"], out["server_b"], out["fip_a"], out["fip_b"]
	s.dp.serverC = out["server_c"]
	if s.dp.fipA == "" || s.dp.fipB == "" || s.dp.serverA == "" || s.dp.serverB == "" {
		return "", fmt.Errorf("stack outputs incomplete: %v", out)
	}
	return fmt.Sprintf("in %s: trunk with VLAN %d and %d subports, 2 servers (image; volume with config drive), 2 volumes, 2 floating IPs (%s, %s)",
		formatDuration(time.Since(start)), subports[0].vlan, subports[1].vlan, s.dp.fipA, s.dp.fipB), nil
}

func (s *smoke) pingFloatingIPs(ctx context.Context) (string, error) {
	var out []string
	for _, ip := range []string{s.dp.fipA, s.dp.fipB} {
		start := time.Now()
		if err := poll(ctx, sshWait, time.Second, func(ctx context.Context) (string, bool, error) {
			err := ping(ctx, ip, 2*time.Second)
			if err != nil {
				return err.Error(), false, nil
			}
			return "", true, nil
		}); err != nil {
			return "", fmt.Errorf("%s: %w; %s; %s", ip, err, s.floatingIPDiagnosis(ctx, ip), s.guestDiagnosis(ctx))
		}
		out = append(out, fmt.Sprintf("%s after %s", ip, formatDuration(time.Since(start))))
	}
	return strings.Join(out, ", "), nil
}

func (s *smoke) sshBoth(ctx context.Context) (string, error) {
	var out []string
	for _, ip := range []string{s.dp.fipA, s.dp.fipB} {
		start := time.Now()
		// dropbear answers before the guest has run its user data and
		// set up its VLANs; the guest logs "booted" once it has.
		if err := poll(ctx, sshWait, 2*time.Second, func(ctx context.Context) (string, bool, error) {
			out, err := s.guestRun(ctx, ip, "grep -q 'booted ' "+GuestLogFile+" && echo booted")
			if err != nil {
				return err.Error(), false, nil
			}
			return "SSH answers, boot not finished", strings.Contains(out, "booted"), nil
		}); err != nil {
			return "", fmt.Errorf("%s: %w; %s", ip, err, s.guestDiagnosis(ctx))
		}
		out = append(out, fmt.Sprintf("root@%s after %s", ip, formatDuration(time.Since(start))))
	}
	return strings.Join(out, ", "), nil
}

// Where the test guest keeps the meta_data.json it read, and where it got
// it: "config-drive <device>" or "metadata-service" (internal/guest).
const (
	GuestMetadataFile = "/run/meta_data.json"
	GuestSourceFile   = "/run/metadata-source"
	// GuestLogFile is the guest's own log; its last line says "booted".
	GuestLogFile = "/run/hotstack-guest.log"
)

func (s *smoke) metadataUUIDs(ctx context.Context) (string, error) {
	for _, g := range []struct{ ip, id, source string }{{s.dp.fipA, s.dp.serverA, "metadata-service"}, {s.dp.fipB, s.dp.serverB, "config-drive"}} {
		out, err := s.guestRun(ctx, g.ip, "cat "+GuestMetadataFile)
		if err != nil {
			return "", err
		}
		if !strings.Contains(out, `"`+g.id+`"`) {
			return "", fmt.Errorf("%s: meta_data.json does not name server %s: %.200s", g.ip, g.id, out)
		}
		src, err := s.guestRun(ctx, g.ip, "cat "+GuestSourceFile)
		if err != nil || !strings.HasPrefix(src, g.source) {
			return "", fmt.Errorf("%s: metadata came from %q, want %s (%v)", g.ip, strings.TrimSpace(src), g.source, err)
		}
	}
	return "server A from the metadata service, server B from its config drive", nil
}

func (s *smoke) userDataRan(ctx context.Context) (string, error) {
	out, err := s.guestRun(ctx, s.dp.fipA, "cat /run/smoke-user-data")
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(out) != s.dp.marker {
		return "", fmt.Errorf("marker %q, want %q", strings.TrimSpace(out), s.dp.marker)
	}
	return "marker " + s.dp.marker + " written by the server's user_data", nil
}

func (s *smoke) attachedVolume(ctx context.Context) (string, error) {
	disks, err := s.guestDisks(ctx)
	if err != nil {
		return "", err
	}
	names := slices.Sorted(maps.Keys(disks))
	for _, name := range names {
		// vda is the root disk, which may be 1 GiB as well.
		if name != "vda" && disks[name] == attachedSectors {
			return "/dev/" + name + ", " + strconv.Itoa(disks[name]) + " sectors", nil
		}
	}
	return "", fmt.Errorf("no 1 GiB disk besides the root disk: %v", disks)
}

// volumeAttachExtendDetach attaches the control plane's 1 GiB volume to
// server A through nova, detaches it, extends it to 2 GiB, attaches it
// again and detaches it, each step seen from inside the guest. The extend
// is done detached: this release's NFS driver refuses to extend an
// attached volume (Cinder bug 1870367; README, "Known limits").
func (s *smoke) volumeAttachExtendDetach(ctx context.Context) (string, error) {
	start := time.Now()
	dev, err := s.attachSeen(ctx, attachedSectors)
	if err != nil {
		return "", err
	}
	if err := s.detachSeen(ctx, dev); err != nil {
		return "", err
	}
	if err := volumes.ExtendSize(ctx, s.clients.volume, s.volumeID, volumes.ExtendSizeOpts{NewSize: 2}).ExtractErr(); err != nil {
		return "", fmt.Errorf("extend the volume to 2 GiB: %w", err)
	}
	if err := poll(ctx, s.o.Timeout, pollInterval, func(ctx context.Context) (string, bool, error) {
		v, err := volumes.Get(ctx, s.clients.volume, s.volumeID).Extract()
		if err != nil {
			return "", false, err
		}
		if strings.HasPrefix(v.Status, "error") {
			return "", false, fmt.Errorf("volume status %s after the extend (see cinder-volume's log)", v.Status)
		}
		return fmt.Sprintf("volume %s, %d GiB", v.Status, v.Size), v.Status == "available" && v.Size == 2, nil
	}); err != nil {
		return "", err
	}
	dev2, err := s.attachSeen(ctx, 2*attachedSectors)
	if err != nil {
		return "", fmt.Errorf("after the extend: %w", err)
	}
	if err := s.detachSeen(ctx, dev2); err != nil {
		return "", err
	}
	return fmt.Sprintf("/dev/%s 1 GiB attached and detached; extended; /dev/%s 2 GiB attached and detached; in %s",
		dev, dev2, formatDuration(time.Since(start))), nil
}

// attachSeen attaches the control plane's volume to server A and waits
// until the guest has a new disk of sectors; it returns the disk's name.
func (s *smoke) attachSeen(ctx context.Context, sectors int) (string, error) {
	before, err := s.guestDisks(ctx)
	if err != nil {
		return "", err
	}
	if _, err := volumeattach.Create(ctx, s.clients.compute, s.dp.serverA, volumeattach.CreateOpts{VolumeID: s.volumeID}).Extract(); err != nil {
		return "", fmt.Errorf("attach the volume to server A: %w", err)
	}
	if err := s.waitVolumeStatus(ctx, "in-use"); err != nil {
		return "", err
	}
	var dev string
	err = poll(ctx, s.o.Timeout, pollInterval, func(ctx context.Context) (string, bool, error) {
		disks, err := s.guestDisks(ctx)
		if err != nil {
			return err.Error(), false, nil
		}
		for name, n := range disks {
			if _, old := before[name]; !old && n == sectors {
				dev = name
				return "", true, nil
			}
		}
		return fmt.Sprintf("no new disk of %d sectors: %v", sectors, disks), false, nil
	})
	if err != nil {
		return "", fmt.Errorf("the attached volume in the guest: %w", err)
	}
	return dev, nil
}

// detachSeen detaches the volume and waits until the guest's dev is gone.
func (s *smoke) detachSeen(ctx context.Context, dev string) error {
	if err := volumeattach.Delete(ctx, s.clients.compute, s.dp.serverA, s.volumeID).ExtractErr(); err != nil {
		return fmt.Errorf("detach the volume: %w", err)
	}
	if err := s.waitVolumeStatus(ctx, "available"); err != nil {
		return err
	}
	if err := poll(ctx, s.o.Timeout, pollInterval, func(ctx context.Context) (string, bool, error) {
		disks, err := s.guestDisks(ctx)
		if err != nil {
			return err.Error(), false, nil
		}
		_, still := disks[dev]
		return "/dev/" + dev + " is still there", !still, nil
	}); err != nil {
		return fmt.Errorf("the detached volume in the guest: %w", err)
	}
	return nil
}

// guestDisks are server A's virtio disks and their sizes in sectors.
func (s *smoke) guestDisks(ctx context.Context) (map[string]int, error) {
	out, err := s.guestRun(ctx, s.dp.fipA, "for d in /sys/block/vd*; do echo ${d##*/} $(cat $d/size); done")
	if err != nil {
		return nil, err
	}
	disks := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			n, err := strconv.Atoi(f[1])
			if err == nil {
				disks[f[0]] = n
			}
		}
	}
	return disks, nil
}

// waitVolumeStatus waits until the control plane's volume has status want.
func (s *smoke) waitVolumeStatus(ctx context.Context, want string) error {
	return poll(ctx, s.o.Timeout, pollInterval, func(ctx context.Context) (string, bool, error) {
		v, err := volumes.Get(ctx, s.clients.volume, s.volumeID).Extract()
		if err != nil {
			return "", false, err
		}
		if v.Status == "error" || strings.HasPrefix(v.Status, "error_") {
			return "", false, fmt.Errorf("volume status %s", v.Status)
		}
		return "volume " + v.Status, v.Status == want, nil
	})
}

func (s *smoke) vlanSubport(ctx context.Context) (string, error) {
	var done []string
	for _, sp := range subports {
		script := fmt.Sprintf(`set -e
nic=$(ip -o route show default | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n1)
vif=$nic.%[1]d
ip link show $vif >/dev/null 2>&1 || ip link add link $nic name $vif type vlan id %[1]d
ip link set $vif up
ip -4 addr show dev $vif | grep -q 'inet ' || udhcpc -i $vif -n -q -t 10 -T 2 -s /usr/share/udhcpc/default.script >/dev/null 2>&1 || true
ip -4 -o addr show dev $vif
ping -c 3 -W 3 -I $vif %[2]s`, sp.vlan, sp.serverB)
		out, err := s.guestRun(ctx, s.dp.fipA, script)
		if !strings.Contains(out, sp.ip) {
			return "", fmt.Errorf("the VLAN %d interface has no %s: %v %.300s", sp.vlan, sp.ip, err, out)
		}
		if err != nil {
			return "", fmt.Errorf("VLAN %d interface has %s but server B (%s) does not answer: %v %.300s", sp.vlan, sp.ip, sp.serverB, err, out)
		}
		done = append(done, fmt.Sprintf("VLAN %d: %s pings server B at %s on %s", sp.vlan, sp.ip, sp.serverB, sp.on))
	}
	return strings.Join(done, "; "), nil
}

func (s *smoke) dnsResolves(ctx context.Context) (string, error) {
	name := "keystone." + cloudnames.PublicDomain
	out, err := s.guestRun(ctx, s.dp.fipA, "nslookup "+name)
	if err != nil {
		return "", fmt.Errorf("nslookup %s: %v %.300s", name, err, out)
	}
	if s.o.DNSServer != "" && !strings.Contains(out, s.o.DNSServer) {
		return "", fmt.Errorf("%s does not resolve to %s: %.300s", name, s.o.DNSServer, out)
	}
	return name + " resolves through " + s.o.DNSServer, nil
}

func (s *smoke) egress(ctx context.Context) (string, error) {
	if s.o.EgressURL == "" {
		return "", skipError{"no outside address to try (HOTSTACK_SMOKE_EGRESS_URL)"}
	}
	// timeout(1), not wget -T: busybox 1.35's wget crashes with -T.
	out, err := s.guestRun(ctx, s.dp.fipA, "timeout 20 wget -q -O - "+shellQuote(s.o.EgressURL))
	if err != nil {
		return "", fmt.Errorf("wget %s: %v %.300s", s.o.EgressURL, err, out)
	}
	if s.o.EgressExpect != "" && !strings.Contains(out, s.o.EgressExpect) {
		return "", fmt.Errorf("wget %s: answer lacks %q: %.300s", s.o.EgressURL, s.o.EgressExpect, out)
	}
	return "fetched " + s.o.EgressURL, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// guestRun runs script in the guest at ip as root over SSH with the run's
// key and returns its combined output. The guest is this run's own and
// made its host key at first boot, so there is no known key to check it
// against: the key pair this run generated is what authenticates.
func (s *smoke) guestRun(ctx context.Context, ip, script string) (string, error) {
	cfg := &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(s.dp.signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip, "22"))
	if err != nil {
		return "", err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, chans, reqs, err := ssh.NewClientConn(conn, ip, cfg)
	if err != nil {
		conn.Close()
		return "", err
	}
	client := ssh.NewClient(c, chans, reqs)
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return "", err
	}
	defer sess.Close()
	// One buffer each: the session copies both streams at once, and two
	// bytes.Buffer.ReadFrom on one buffer lose each other's data.
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	err = sess.Run(script)
	return stdout.String() + stderr.String(), err
}

// ping sends one ICMP echo to ip and waits for its reply (raw socket:
// root, as the smoke runs on the host).
func ping(ctx context.Context, ip string, timeout time.Duration) error {
	conn, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		return fmt.Errorf("open an ICMP socket: %w", err)
	}
	defer conn.Close()
	id := os.Getpid() & 0xffff
	seq := int(time.Now().UnixNano() & 0x7fff)
	msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte("hotstack-os smoke")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return err
	}
	dst := &net.IPAddr{IP: net.ParseIP(ip)}
	if _, err := conn.WriteTo(b, dst); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetReadDeadline(deadline)
	buf := make([]byte, 1500)
	for {
		n, peer, err := conn.ReadFrom(buf)
		if err != nil {
			return fmt.Errorf("no echo reply: %w", err)
		}
		if peer.String() != ip {
			continue
		}
		m, err := icmp.ParseMessage(1, buf[:n])
		if err != nil {
			continue
		}
		if e, ok := m.Body.(*icmp.Echo); ok && m.Type == ipv4.ICMPTypeEchoReply && e.Seq == seq {
			return nil
		}
	}
}

// outputs maps the stack's output keys to their values as text.
func (st *heatStack) outputs() map[string]string {
	out := map[string]string{}
	for _, o := range st.Outputs {
		out[o.Key] = fmt.Sprint(o.Value)
	}
	return out
}

// guestDiagnosis says what nova knows of the stack's servers when a guest
// does not answer: each one's status and the last lines of its console.
func (s *smoke) guestDiagnosis(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var parts []string
	for _, g := range []struct{ name, id string }{{"server A", s.dp.serverA}, {"server B", s.dp.serverB}} {
		srv, err := servers.Get(ctx, s.clients.compute, g.id).Extract()
		if err != nil {
			parts = append(parts, fmt.Sprintf("%s: %v", g.name, err))
			continue
		}
		console, err := servers.ShowConsoleOutput(ctx, s.clients.compute, g.id, servers.ShowConsoleOutputOpts{Length: 6}).Extract()
		if err != nil {
			console = err.Error()
		}
		parts = append(parts, fmt.Sprintf("%s %s on %s, console ends: %q", g.name, srv.Status, srv.HypervisorHostname, strings.TrimSpace(console)))
	}
	return strings.Join(parts, "; ")
}

// floatingIPDiagnosis says where the path to a floating IP that does not
// answer stops: whether the router's external address answers (if not,
// its gateway port is not bound to a chassis or the provider bridge does
// not reach OVN) and the status of the server's port behind the address
// (DOWN: the compute host never plugged or bound it).
func (s *smoke) floatingIPDiagnosis(ctx context.Context, ip string) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	pages, err := floatingips.List(s.clients.network, floatingips.ListOpts{FloatingIP: ip}).AllPages(ctx)
	if err != nil {
		return "floating IP: " + err.Error()
	}
	fips, err := floatingips.ExtractFloatingIPs(pages)
	if err != nil || len(fips) == 0 {
		return fmt.Sprintf("floating IP %s not found (%v)", ip, err)
	}
	fip := fips[0]
	parts := []string{fmt.Sprintf("floating IP %s → %s", fip.Status, fip.FixedIP)}
	if port, err := ports.Get(ctx, s.clients.network, fip.PortID).Extract(); err != nil {
		parts = append(parts, "port: "+err.Error())
	} else {
		parts = append(parts, "port "+port.Status)
	}
	if r, err := routers.Get(ctx, s.clients.network, fip.RouterID).Extract(); err != nil {
		parts = append(parts, "router: "+err.Error())
	} else {
		for _, ext := range r.GatewayInfo.ExternalFixedIPs {
			verdict := "answers ping"
			if err := ping(ctx, ext.IPAddress, 2*time.Second); err != nil {
				verdict = "does not answer ping"
			}
			parts = append(parts, fmt.Sprintf("router gateway %s %s", ext.IPAddress, verdict))
		}
	}
	return strings.Join(parts, ", ")
}
