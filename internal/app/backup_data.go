package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/stack"
)

// Besides the databases and the keys, a backup holds what the databases
// point at, so a restored cloud has its images, volumes and networks, not
// only their records: Glance's image files and Cinder's volume files
// (under data/, each tree by name), and OVN's northbound database
// (ovnnb.db: neutron's networks, routers and ports as OVN knows them; the
// southbound is derived from it, and from the chassis, anew).
const (
	dataName  = "data"
	ovnNBName = "ovnnb.db"
	// ovnNBSocket is the northbound database's socket in ovn-northd's
	// container (internal/entrypoint's ovnNorthd).
	ovnNBSocket = "unix:/run/ovn/ovnnb_db.sock"
)

// dataTree is a data directory a backup copies whole.
type dataTree struct{ name, dir string }

func dataTrees(cfg *config.Config) []dataTree {
	return []dataTree{
		{"glance-images", cfg.Get("HOTSTACK_DATA_DIR") + "/glance/images"},
		{"cinder-volumes", cfg.Get("CINDER_NFS_EXPORT_DIR")},
	}
}

// copyTree copies the content of src into dst (made 0700 when missing):
// owners, modes and times kept, sparse files kept sparse (volumes are
// mostly holes), links copied as links, never followed.
func (a *App) copyTree(ctx context.Context, src, dst string) error {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	_, err := a.o.Runner.Run(ctx, execx.Command{Name: "cp", Args: []string{"-a", "--sparse=always", "--no-dereference", src + "/.", dst + "/"}})
	return err
}

// backupData copies the data trees and OVN's northbound database into dir.
func (a *App) backupData(ctx context.Context, cfg *config.Config, dir string) error {
	for _, t := range dataTrees(cfg) {
		src := install.Rooted(a.o.Root, t.dir)
		if _, err := os.Stat(src); err != nil {
			continue // nothing stored there yet
		}
		if err := a.copyTree(ctx, src, filepath.Join(dir, dataName, t.name)); err != nil {
			return fmt.Errorf("backup: copy %s: %w", t.dir, err)
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, ovnNBName), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	cmd := execx.Command{Name: "podman", Args: []string{"exec", stack.ContainerName("ovn-northd"), "ovsdb-client", "backup", ovnNBSocket, "OVN_Northbound"}, Stdout: f}
	if _, err := a.o.Runner.Run(ctx, cmd); err != nil {
		return fmt.Errorf("backup: OVN's northbound database (the stack must be up: `mage status`): %w", err)
	}
	return f.Close()
}

// checkData refuses a backup whose data/ holds a tree a backup does not
// make, before anything is restored.
func checkData(cfg *config.Config, dir string) error {
	entries, err := os.ReadDir(filepath.Join(dir, dataName))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	var known []string
	for _, t := range dataTrees(cfg) {
		known = append(known, t.name)
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.Contains(" "+strings.Join(known, " ")+" ", " "+e.Name()+" ") {
			return fmt.Errorf("restore: refusing %s: not a tree a backup holds (%s); nothing was restored", filepath.Join(dir, dataName, e.Name()), strings.Join(known, ", "))
		}
	}
	return nil
}

// restoreData copies the data trees back and loads OVN's northbound
// database into the running ovn-northd (ovsdb-client restore replaces its
// content in one transaction; northd then derives the southbound).
func (a *App) restoreData(ctx context.Context, cfg *config.Config, dir string) error {
	for _, t := range dataTrees(cfg) {
		src := filepath.Join(dir, dataName, t.name)
		if _, err := os.Stat(src); err != nil {
			continue
		}
		if err := a.copyTree(ctx, src, install.Rooted(a.o.Root, t.dir)); err != nil {
			return fmt.Errorf("restore %s: %w", t.dir, err)
		}
	}
	snapshot := filepath.Join(dir, ovnNBName)
	f, err := os.Open(snapshot)
	if os.IsNotExist(err) {
		return nil // a backup of an earlier hotstack-os
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	// ovsdb-client restore seeks in its input, which a pipe through podman
	// exec cannot: the snapshot lands in a file of the container first.
	script := `cat > /tmp/hotstack-os-restore.db && ovsdb-client --force restore ` + ovnNBSocket + ` OVN_Northbound < /tmp/hotstack-os-restore.db; rc=$?; rm -f /tmp/hotstack-os-restore.db; exit $rc`
	cmd := execx.Command{Name: "podman", Args: []string{"exec", "-i", stack.ContainerName("ovn-northd"), "sh", "-c", script}, Stdin: f}
	if _, err := a.o.Runner.Run(ctx, cmd); err != nil {
		return fmt.Errorf("restore: load %s into OVN's northbound database: %w", snapshot, err)
	}
	return nil
}
