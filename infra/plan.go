package infra

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// Pending is one change setup would make.
type Pending struct {
	Action, Target, Detail string
}

// Plan reports what Setup would change, changing nothing. Like Setup, it
// covers only the files (hosts, exports, data directories) when Root is not
// "/". Diffs are computed by the caller from Before/After of file changes.
func (h *Host) Plan(ctx context.Context) ([]Pending, []FileEdit, error) {
	cfg := h.Config
	var out []Pending
	if h.systemSteps() {
		sys, err := h.planSystem(ctx, cfg)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, sys...)
	}
	var edits []FileEdit
	for _, f := range []struct {
		path  string
		block Block
		body  []string
	}{
		{h.path(HostsFile), HostsBlock, hostsEntries(cfg.Get("BREX_IP"))},
		{h.path(ExportsFile), ExportsBlock, exportsEntries(cfg.Get("CINDER_NFS_EXPORT_DIR"))},
	} {
		before, err := os.ReadFile(f.path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, err
		}
		after, err := f.block.Apply(f.path, before, f.body)
		if err != nil {
			return nil, nil, err
		}
		if string(after) != string(before) {
			edits = append(edits, FileEdit{Path: f.path, Before: before, After: after})
		}
	}
	dataDir := cfg.Get("HOTSTACK_DATA_DIR")
	for _, d := range DataDirs {
		if p := planDir(h.path(filepath.Join(dataDir, d.Rel)), d.Mode, d.UID, d.GID); p != nil {
			out = append(out, *p)
		}
	}
	for _, p := range []string{cfg.Get("NOVA_INSTANCES_PATH"), cfg.Get("NOVA_NFS_MOUNT_POINT_BASE"), cfg.Get("CINDER_NFS_EXPORT_DIR")} {
		if c := planDir(h.path(p), 0o755|modeFor(p, cfg), 0, 0); c != nil {
			out = append(out, *c)
		}
	}
	return dedupe(out), edits, nil
}

// FileEdit is a host file setup would rewrite.
type FileEdit struct {
	Path          string
	Before, After []byte
}

func (h *Host) planSystem(ctx context.Context, cfg *config.Config) ([]Pending, error) {
	v := newVSwitch(ctx, h.Runner)
	if err := v.Ping(); err != nil {
		return nil, err
	}
	bridges, err := v.client.VSwitch.ListBridges()
	if err != nil {
		return nil, err
	}
	datapath, mtu := cfg.Get("OVS_DATAPATH_TYPE"), cfg.Int("GLOBAL_PHYSNET_MTU")
	var out []Pending
	for _, br := range []string{IntegrationBridge, ExternalBridge} {
		if !contains(bridges, br) {
			out = append(out, Pending{"create", "bridge " + br, fmt.Sprintf("datapath %s, mtu_request %d", datapath, mtu)})
			continue
		}
		dp, _ := v.vsctl("get", "bridge", br, "datapath_type")
		cur, _ := v.vsctl("get", "interface", br, "mtu_request")
		if (unquote(dp) != datapath && !(unquote(dp) == "" && datapath == "system")) || cur != strconv.Itoa(mtu) {
			out = append(out, Pending{"update", "bridge " + br, fmt.Sprintf("datapath %s -> %s, mtu_request %s -> %d", unquote(dp), datapath, cur, mtu)})
		}
	}
	provider := netip.MustParsePrefix(cfg.Get("PROVIDER_NETWORK"))
	brex := netip.PrefixFrom(netip.MustParseAddr(cfg.Get("BREX_IP")), provider.Bits())
	addrs, err := execx.Output(ctx, h.Runner, "ip", "-o", "addr", "show", "dev", ExternalBridge)
	if err != nil || !strings.Contains(addrs, " "+brex.String()+" ") {
		out = append(out, Pending{"create", fmt.Sprintf("address %s on %s", brex, ExternalBridge), ""})
	}
	subnet := netip.MustParsePrefix(cfg.Get("CONTAINER_NETWORK"))
	subnets, exists, err := podmanNetworkSubnets(ctx, h.Runner)
	if err != nil {
		return nil, err
	}
	if !exists {
		out = append(out, Pending{"create", "podman network " + NetworkName, fmt.Sprintf("subnet %s, dynamic addresses %s", subnet, config.DynamicRange(subnet))})
	} else if len(subnets) == 0 || subnets[0].Subnet != subnet.String() {
		return nil, fmt.Errorf("podman network %s exists with another subnet than CONTAINER_NETWORK %s; setup would refuse it", NetworkName, subnet)
	}
	return out, nil
}

func planDir(path string, mode fs.FileMode, uid, gid int) *Pending {
	fi, err := os.Stat(path)
	if err != nil {
		return &Pending{"create", "directory " + path, fmt.Sprintf("mode %s, owner %d:%d", octal(mode), uid, gid)}
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	want := mode & (fs.ModePerm | fs.ModeSetgid)
	got := fi.Mode() & (fs.ModePerm | fs.ModeSetgid | fs.ModeSetuid | fs.ModeSticky)
	if got != want || (st != nil && (int(st.Uid) != uid || int(st.Gid) != gid)) {
		return &Pending{"update", "directory " + path, fmt.Sprintf("mode %s -> %s, owner %d:%d", octal(got), octal(want), uid, gid)}
	}
	return nil
}

func dedupe(in []Pending) []Pending {
	seen := map[string]bool{}
	var out []Pending
	for _, p := range in {
		if !seen[p.Target] {
			seen[p.Target] = true
			out = append(out, p)
		}
	}
	return out
}

// octal shows a mode as chmod takes it (2775 for setgid rwxrwxr-x).
func octal(m fs.FileMode) string {
	n := uint32(m.Perm())
	if m&fs.ModeSetgid != 0 {
		n |= 0o2000
	}
	return fmt.Sprintf("%04o", n)
}
