package host

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/step"
	"github.com/hotstack-os/hotstack-os/internal/testns"
	"github.com/hotstack-os/hotstack-os/stack"
)

func testSchema(t *testing.T) config.Schema {
	t.Helper()
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	return st.Schema()
}

func testConfig(t *testing.T, extra string) *config.Config {
	t.Helper()
	data := t.TempDir()
	env := "HOTSTACK_DATA_DIR=" + data + "\nOVS_DATAPATH_TYPE=netdev\nGLOBAL_PHYSNET_MTU=1450\nCHASSIS_HOSTNAME=test\n" + extra
	cfg, err := config.Parse(".env", []byte(env), testSchema(t), config.Options{Environ: func() []string { return nil }, LookupPath: onlyRoot})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// onlyRoot shows config a file system holding / alone: the tests' data
// directories are in t.TempDir, under a world-writable /tmp that the real
// check refuses.
func onlyRoot(p string) (config.PathInfo, error) {
	if p == "/" {
		return config.PathInfo{Mode: fs.ModeDir | 0o755}, nil
	}
	return config.PathInfo{}, fs.ErrNotExist
}

const originalHosts = "127.0.0.1\tlocalhost\r\n# operator comment\r\n::1 localhost ip6-localhost" // CRLF, no final newline
const originalExports = "# /etc/exports: the access control list\n/usr/share 10.0.0.0/8(ro,no_subtree_check)\n"

// TestSetupAndCleanupOnRealComponents runs setup and cleanup against a
// private Open vSwitch (netdev datapath), real ip, podman and exportfs,
// inside network and mount namespaces of its own. /etc/hosts and
// /etc/exports are bind mounts there, which also exercises the EBUSY
// in-place write.
func TestSetupAndCleanupOnRealComponents(t *testing.T) {
	if !testns.Enter(t) {
		return
	}
	for _, tool := range []string{"podman", "exportfs", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	testns.StartOVS(t)
	cfg := testConfig(t, "")
	hosts := testns.BindFile(t, "/etc/hosts", []byte(originalHosts))
	// As an older hotstack-os left it: setup takes its export away.
	b := exportsBlock()
	older := originalExports + b.Begin + "\n" + exportsEntries(cfg.Get("CINDER_NFS_EXPORT_DIR"))[0] + "\n" + b.End + "\n"
	exports := testns.BindFile(t, "/etc/exports", []byte(older))
	for _, d := range []string{"/var/lib/nfs", "/etc/containers/networks", "/var/lib/containers", "/run/containers", "/run/libpod", "/run/lock"} {
		testns.Tmpfs(t, d)
	}
	for _, f := range []string{"etab", "rmtab"} {
		must(t, os.WriteFile(filepath.Join("/var/lib/nfs", f), nil, 0o644))
	}

	var logs bytes.Buffer
	h := &Host{Config: cfg, Runner: execx.System{}, Log: zerolog.New(&logs), Root: "/"}
	ctx := context.Background()
	sum, err := h.Setup(ctx)
	if err != nil {
		t.Fatalf("setup: %v\n%s", err, logs.String())
	}
	if len(sum.Changed) == 0 {
		t.Fatal("first setup changed nothing")
	}

	// OVS: both bridges, netdev, MTU requested.
	for _, br := range []string{IntegrationBridge, ExternalBridge} {
		if dp := testns.Run(t, "ovs-vsctl", "get", "bridge", br, "datapath_type"); dp != "netdev" {
			t.Errorf("%s datapath %s", br, dp)
		}
		if mtu := testns.Run(t, "ovs-vsctl", "get", "interface", br, "mtu_request"); mtu != "1450" {
			t.Errorf("%s mtu_request %s", br, mtu)
		}
	}
	if addr := testns.Run(t, "ip", "-o", "addr", "show", "dev", ExternalBridge); !strings.Contains(addr, "172.31.0.129/25") {
		t.Errorf("hot-ex address: %s", addr)
	}
	if link := testns.Run(t, "ip", "-o", "link", "show", "dev", ExternalBridge); !linkUp(link) {
		t.Errorf("hot-ex not up: %s", link)
	}
	if net := testns.Run(t, "podman", "network", "inspect", NetworkName); !strings.Contains(net, "172.31.0.0/25") || !strings.Contains(net, `"start_ip": "172.31.0.97"`) {
		t.Errorf("podman network: %s", net)
	}
	hostsData := read(t, hosts)
	if !strings.HasPrefix(hostsData, originalHosts+"\r\n# BEGIN hotstack-os managed entries\r\n172.31.0.129 keystone.hotstack-os.local\r\n") {
		t.Errorf("hosts: %q", hostsData)
	}
	if got := read(t, exports); got != originalExports {
		t.Errorf("exports after setup:\n%q\nwant the older block gone: %q", got, originalExports)
	}
	if ev := testns.Run(t, "exportfs", "-v"); strings.Contains(ev, cfg.Get("CINDER_NFS_EXPORT_DIR")) {
		t.Errorf("setup exports the Cinder directory over NFS:\n%s", ev)
	}
	fi, err := os.Stat(cfg.Get("NOVA_INSTANCES_PATH"))
	if err != nil || fi.Mode()&os.ModeSetgid == 0 || fi.Mode().Perm() != 0o775 {
		t.Errorf("nova-instances: %v %v", fi.Mode(), err)
	}

	// Second run: nothing changes, no file is rewritten, OVS sees no transaction.
	nextCfg := testns.Run(t, "ovs-vsctl", "get", "Open_vSwitch", ".", "next_cfg")
	stamp := time.Unix(1_600_000_000, 0)
	for _, f := range []string{hosts, exports} {
		must(t, os.Chtimes(f, stamp, stamp))
	}
	logs.Reset()
	sum, err = h.Setup(ctx)
	if err != nil || len(sum.Changed) != 0 {
		t.Fatalf("second setup: %+v %v\n%s", sum, err, logs.String())
	}
	if !strings.Contains(logs.String(), "0 changed") {
		t.Errorf("second setup did not report 0 changed:\n%s", logs.String())
	}
	if got := testns.Run(t, "ovs-vsctl", "get", "Open_vSwitch", ".", "next_cfg"); got != nextCfg {
		t.Errorf("second setup mutated OVS (next_cfg %s -> %s)", nextCfg, got)
	}
	for _, f := range []string{hosts, exports} {
		if !stat(t, f).ModTime().Equal(stamp) {
			t.Errorf("second setup rewrote %s", f)
		}
	}

	// A podman network with another subnet is an error that says so.
	other := &Host{Config: testConfig(t, "CONTAINER_NETWORK=10.99.0.0/24\nPROVIDER_NETWORK=10.98.0.0/24\nBREX_IP=10.98.0.1\n"+ipsIn(t, "10.99.0.")),
		Runner: execx.System{}, Log: zerolog.Nop(), Root: "/"}
	if _, err := other.Setup(ctx); err == nil || !strings.Contains(err.Error(), "exists with subnet 172.31.0.0/25, but CONTAINER_NETWORK is 10.99.0.0/24") {
		t.Errorf("subnet mismatch: %v", err)
	}

	// Cleanup restores the hosts file byte for byte; the exports stay as
	// the operator has them.
	if _, err := h.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{hosts: originalHosts, exports: originalExports} {
		if got := read(t, f); got != want {
			t.Errorf("%s after cleanup:\n%q\nwant %q", f, got, want)
		}
	}
	if ev := testns.Run(t, "exportfs", "-v"); strings.Contains(ev, cfg.Get("CINDER_NFS_EXPORT_DIR")) {
		t.Errorf("export still active after cleanup:\n%s", ev)
	}
	// Without purge the bridges stay; with it they and the network go.
	if !strings.Contains(testns.Run(t, "ovs-vsctl", "list-br"), ExternalBridge) {
		t.Error("cleanup without purge removed a bridge")
	}
	h.Purge = true
	if _, err := h.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if brs := testns.Run(t, "ovs-vsctl", "list-br"); brs != "" {
		t.Errorf("purge left bridges: %s", brs)
	}
	if _, err := exec.Command("podman", "network", "inspect", NetworkName).Output(); err == nil {
		t.Error("purge left the podman network")
	}
}

// ipsIn moves every service address into prefix (a /24 given as "a.b.c.").
func ipsIn(t *testing.T, prefix string) string {
	var b strings.Builder
	for i, k := range testSchema(t) {
		if k.Kind == config.ServiceIP {
			b.WriteString(k.Name + "=" + prefix + strconv.Itoa(10+i) + "\n")
		}
	}
	return b.String()
}

func TestOVSDownGivesClearError(t *testing.T) {
	if _, err := exec.LookPath("ovs-vsctl"); err != nil {
		t.Skip("ovs-vsctl not installed")
	}
	t.Setenv("OVS_RUNDIR", t.TempDir()) // no ovsdb-server listens here
	err := newVSwitch(context.Background(), execx.System{}).Ping()
	if err == nil || !strings.Contains(err.Error(), "systemctl start openvswitch-switch") {
		t.Fatalf("got %v", err)
	}
}

// stagedHost is a Host on a staging root: files only.
func stagedHost(t *testing.T) (*Host, string) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &Host{Config: testConfig(t, ""), Runner: &execx.Fake{}, Log: zerolog.Nop(), Root: root}, root
}

func TestMarkerFaultLeavesFileByteIdentical(t *testing.T) {
	h, root := stagedHost(t)
	broken := "127.0.0.1 localhost\n# BEGIN hotstack-os managed entries\n10.0.0.1 mine\n"
	hosts := filepath.Join(root, "etc/hosts")
	if err := os.WriteFile(hosts, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	stamp := time.Unix(1_600_000_000, 0)
	must(t, os.Chtimes(hosts, stamp, stamp))
	for _, run := range []func(context.Context) (step.Summary, error){h.Setup, h.Cleanup} {
		_, err := run(context.Background())
		var me *MarkerError
		if !errors.As(err, &me) || !strings.Contains(err.Error(), hosts+": BEGIN marker without END marker (line 2)") {
			t.Fatalf("got %v", err)
		}
		if got, fi := read(t, hosts), stat(t, hosts); got != broken || !fi.ModTime().Equal(stamp) {
			t.Fatalf("file touched: %q", got)
		}
	}
}

func TestSymlinkedHostsFileEditsTarget(t *testing.T) {
	h, root := stagedHost(t)
	real := filepath.Join(root, "etc/hosts.real")
	if err := os.WriteFile(real, []byte(originalHosts), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "etc/hosts")
	if err := os.Symlink("hosts.real", link); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced")
	}
	if data := read(t, real); !strings.Contains(data, "keystone.hotstack-os.local") {
		t.Fatalf("target not edited: %q", data)
	}
	if fi := stat(t, real); fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode not kept: %v", fi.Mode())
	}
	if _, err := h.Cleanup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if data := read(t, real); data != originalHosts {
		t.Fatalf("cleanup did not restore: %q", data)
	}
}

func TestExportfsFailureRestoresFile(t *testing.T) {
	dir := t.TempDir()
	exports := filepath.Join(dir, "exports")
	if err := os.WriteFile(exports, []byte(originalExports), 0o644); err != nil {
		t.Fatal(err)
	}
	calls := 0
	r := &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		calls++
		if calls == 1 {
			return execx.Result{}, &execx.Error{Cmd: c, ExitCode: 1, Stderr: "exportfs: bad option list", Err: errors.New("exit status 1")}
		}
		return execx.Result{}, nil
	}}
	e, err := readBlockEdit(exports, exportsBlock(), exportsEntries("/srv/cinder"))
	if err != nil {
		t.Fatal(err)
	}
	err = applyExports(context.Background(), r, e, true)
	if err == nil || !strings.Contains(err.Error(), "exportfs: bad option list") || !strings.Contains(err.Error(), "restored") {
		t.Fatalf("got %v", err)
	}
	if got := read(t, exports); got != originalExports {
		t.Fatalf("exports not restored: %q", got)
	}
}

// TestPlanShowsWhatSetupDoes: on a staging root (files only), the plan
// lists the hosts edit and every directory (and no export); setup applies
// exactly those, after which the plan is empty and a second setup changes
// nothing.
func TestPlanShowsWhatSetupDoes(t *testing.T) {
	h, root := stagedHost(t)
	if err := os.WriteFile(filepath.Join(root, "etc/hosts"), []byte(originalHosts), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	plan, err := h.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, c := range plan {
		targets = append(targets, c.Action+" "+c.Target)
	}
	want := []string{"update " + filepath.Join(root, "etc/hosts"), "create " + filepath.Join(root, "etc/exports")}
	// The hosts edit, the directories, dnsmasq's upstream servers and
	// nova's volume path.
	if len(plan) != 3+len(h.dataDirs()) || !slices.Contains(targets, want[0]) || slices.Contains(targets, want[1]) {
		t.Fatalf("plan: %v", targets)
	}
	if !strings.Contains(plan[0].Detail, "+172.31.0.129 keystone.hotstack-os.local") {
		t.Errorf("hosts diff: %s", plan[0].Detail)
	}
	sum, err := h.Setup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Changed) != len(plan) {
		t.Fatalf("setup changed %v; the plan had %v", sum.Changed, targets)
	}
	if plan, err := h.Plan(ctx); err != nil || len(plan) != 0 {
		t.Fatalf("plan after setup: %+v %v", plan, err)
	}
	if sum, err := h.Setup(ctx); err != nil || len(sum.Changed) != 0 {
		t.Fatalf("second setup: %+v %v", sum, err)
	}
	// A directory whose mode drifted is planned as an update, and fixed.
	inst := h.path(h.Config.Get("NOVA_INSTANCES_PATH"))
	if err := os.Chmod(inst, 0o700); err != nil {
		t.Fatal(err)
	}
	plan, err = h.Plan(ctx)
	if err != nil || len(plan) != 1 || plan[0].Action != "update" || !strings.Contains(plan[0].Detail, "mode 0700 -> 2775") {
		t.Fatalf("plan after chmod: %+v %v", plan, err)
	}
	if _, err := h.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	if fi := stat(t, inst); fi.Mode()&os.ModeSetgid == 0 || fi.Mode().Perm() != 0o775 {
		t.Fatalf("mode %v", fi.Mode())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func stat(t *testing.T, p string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(p)
	must(t, err)
	return fi
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	must(t, err)
	return string(b)
}

// TestSetupWaitsForOpenVSwitch: at boot Open vSwitch may still be
// starting; setup polls it with backoff, a bounded time, and plan asks
// once.
func TestSetupWaitsForOpenVSwitch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		answerAfter := 3 // ovs-vsctl calls that fail first
		calls := 0
		runner := &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
			if c.Name != "ovs-vsctl" {
				return execx.Result{}, nil
			}
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls <= answerAfter {
				return execx.Result{}, &execx.Error{Cmd: c, ExitCode: 1, Stderr: "database connection failed", Err: errors.New("exit status 1")}
			}
			return execx.Result{}, nil
		}}
		var logs bytes.Buffer
		h := &Host{Config: testConfig(t, ""), Runner: runner, Log: zerolog.New(&logs), Root: "/", WaitOVS: DefaultOVSWait}
		start := time.Now()
		if err := h.ovsAnswers(context.Background()); err != nil {
			t.Fatalf("setup gave up although Open vSwitch answered on attempt 4: %v", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("waited %s for an answer after three failures", took)
		}
		if !strings.Contains(logs.String(), "waiting up to 1m0s for it") {
			t.Errorf("logs: %s", logs.String())
		}

		// Never answers: gives up at the bound, saying so.
		mu.Lock()
		calls, answerAfter = 0, 1<<30
		mu.Unlock()
		start = time.Now()
		err := h.ovsAnswers(context.Background())
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), "Open vSwitch does not answer") || !strings.Contains(err.Error(), "systemctl start openvswitch-switch") {
			t.Fatalf("error %v", err)
		}
		// The bound ends the wait under way, at its very moment.
		if took != DefaultOVSWait {
			t.Errorf("gave up after %s, want %s", took, DefaultOVSWait)
		}
		// Plan asks once.
		mu.Lock()
		calls = 0
		mu.Unlock()
		if _, err := h.Plan(context.Background()); err == nil {
			t.Fatal("plan with Open vSwitch down succeeded")
		}
		mu.Lock()
		defer mu.Unlock()
		if calls != 1 {
			t.Errorf("plan asked Open vSwitch %d times, want once", calls)
		}
	})
}
