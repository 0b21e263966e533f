package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/stack"
)

// A backup directory holds the dump of every database and, under files/,
// the keys at their paths on the host.
const (
	dumpName  = "mariadb.sql"
	filesName = "files"
)

// mysqlSocket is where the MariaDB container's server listens (the
// entrypoint starts it with --socket=).
const mysqlSocket = "/run/mysqld/mysqld.sock"

// withPasswordFromStdin runs the command after it inside the container
// with MYSQL_PWD set to the first line of standard input (the rest goes
// on to the command: the dump to load, for a restore), so the password is
// never on a command line, as in init-db.sh. Root authenticates over the
// socket anyway (mariadb-install-db --auth-root-authentication-method=socket);
// the password serves a root that an operator gave one.
const withPasswordFromStdin = `IFS= read -r MYSQL_PWD; export MYSQL_PWD; exec "$@"`

// Backup dumps every database (mariadb-dump --all-databases
// --single-transaction, from the running MariaDB container) and copies
// the keys: install's secrets, fingerprint key and config, and keystone's
// fernet and credential keys, without which restored tokens and
// credentials cannot be read. It writes them into a new directory, root's
// only (0700), named by the time, under HOTSTACK_BACKUP_DIR.
func (a *App) Backup(ctx context.Context) error {
	cfg, err := a.installedConfig()
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := a.checkBackupDir(cfg); err != nil {
		return err
	}
	password, err := a.rootPassword()
	if err != nil {
		return err
	}
	dir, err := a.newBackupDir()
	if err != nil {
		return err
	}
	n, err := a.writeBackup(ctx, cfg, dir, password)
	if err != nil {
		_ = os.RemoveAll(dir) // ours, just made, and incomplete
		return err
	}
	size, _ := treeSize(dir)
	a.o.Log.Info().Str("dir", dir).Msgf("backup: the databases, OVN's northbound database, %d key files, Glance's images and Cinder's volumes in %s (%s); `mage restore %s` brings them back", n, dir, humanBytes(size), dir)
	return nil
}

func (a *App) writeBackup(ctx context.Context, cfg *config.Config, dir, password string) (int, error) {
	if err := a.dumpDatabases(ctx, filepath.Join(dir, dumpName), password); err != nil {
		return 0, err
	}
	files, err := a.keyFiles(cfg)
	if err != nil {
		return 0, err
	}
	for _, f := range files {
		if err := copyFile(install.Rooted(a.o.Root, f), filepath.Join(dir, filesName, f)); err != nil {
			return 0, fmt.Errorf("backup: %w", err)
		}
	}
	if err := a.backupData(ctx, cfg, dir); err != nil {
		return 0, err
	}
	return len(files), nil
}

// checkBackupDir refuses a HOTSTACK_BACKUP_DIR that a purge would delete.
func (a *App) checkBackupDir(cfg *config.Config) error {
	for _, d := range append(a.host(cfg).DataDirs(), cfg.Get("HOTSTACK_DATA_DIR")) {
		if within(a.o.BackupDir, d) {
			return fmt.Errorf("HOTSTACK_BACKUP_DIR=%s is inside %s, which a purge deletes; choose a directory outside it", a.o.BackupDir, d)
		}
	}
	return nil
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}

// rootPassword is MariaDB's root password from the .env, the one install
// wrote into secrets.env.
func (a *App) rootPassword() (string, error) {
	cfg, err := a.config()
	if err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	pw := cfg.Get("MYSQL_ROOT_PASSWORD")
	if strings.ContainsAny(pw, "\r\n") {
		return "", errors.New("MYSQL_ROOT_PASSWORD holds a line break; it travels as one line on standard input")
	}
	return pw, nil
}

// newBackupDir makes HOTSTACK_BACKUP_DIR/<UTC time>, 0700: the dump holds
// every password hash and the keys decrypt tokens and credentials. It is
// not recorded, so no purge deletes it.
func (a *App) newBackupDir() (string, error) {
	if !filepath.IsAbs(a.o.BackupDir) {
		return "", fmt.Errorf("backup: HOTSTACK_BACKUP_DIR=%s: not an absolute path", a.o.BackupDir)
	}
	parent := install.Rooted(a.o.Root, a.o.BackupDir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return "", fmt.Errorf("backup: HOTSTACK_BACKUP_DIR=%s: %w", a.o.BackupDir, err)
	}
	dir := filepath.Join(parent, time.Now().UTC().Format("20060102T150405Z"))
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	// Whatever the umask: root's only.
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	return dir, nil
}

// dumpDatabases streams mariadb-dump's output into path (0600).
func (a *App) dumpDatabases(ctx context.Context, path, password string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	cmd := mariadbCommand(strings.NewReader(password+"\n"), "mariadb-dump", "--all-databases", "--single-transaction", "--routines", "--events")
	cmd.Stdout = f
	if _, err := a.o.Runner.Run(ctx, cmd); err != nil {
		return fmt.Errorf("backup: dump the databases (the stack must be up: `mage status`): %w", err)
	}
	return f.Close()
}

// mariadbCommand runs a MariaDB client as root in the MariaDB container,
// over its socket, the password on stdin's first line.
func mariadbCommand(stdin io.Reader, client string, args ...string) execx.Command {
	argv := []string{"exec", "-i", stack.ContainerName("mariadb"), "sh", "-c", withPasswordFromStdin, "sh",
		client, "--protocol=socket", "--socket=" + mysqlSocket, "--user=root"}
	return execx.Command{Name: "podman", Args: append(argv, args...), Stdin: stdin}
}

// keyFiles are the files a backup copies that exist now, as host paths.
func (a *App) keyFiles(cfg *config.Config) ([]string, error) {
	var out []string
	for _, f := range a.backedUpSingleFiles(cfg) {
		if _, err := os.Lstat(install.Rooted(a.o.Root, f)); err == nil {
			out = append(out, f)
		}
	}
	for _, dir := range keystoneKeyDirs(cfg) {
		entries, err := os.ReadDir(install.Rooted(a.o.Root, dir))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
	}
	return out, nil
}

// backedUpSingleFiles are the files a backup holds besides keystone's
// keys: install's secrets, key and config, and the compute host's
// identity. nova-compute (since 2023.1) keeps its compute node's UUID in
// state_path/compute_id and refuses to serve a database whose node for
// this host has another: a restore that brought back the databases
// without it would leave the hypervisor down.
func (a *App) backedUpSingleFiles(cfg *config.Config) []string {
	return []string{a.o.Paths.SecretsFile(), a.o.Paths.GeneratedSecretsFile(), a.o.Paths.KeyFile(), a.o.Paths.ConfigFile(),
		filepath.Join(cfg.Get("HOTSTACK_DATA_DIR"), "nova", "compute_id")}
}

// keystoneKeyDirs hold keystone's fernet (tokens) and credential keys.
func keystoneKeyDirs(cfg *config.Config) []string {
	data := cfg.Get("HOTSTACK_DATA_DIR")
	return []string{filepath.Join(data, "keystone/fernet-keys"), filepath.Join(data, "keystone/credential-keys")}
}

// copyFile copies a regular file with its mode and, as root, its owner
// (keystone's keys belong to keystone), creating dst's directories 0700.
func copyFile(src, dst string) error {
	data, fi, err := readRegular(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	return writeLike(f, data, fi)
}

// readRegular reads a regular file without following a symlink: the key
// directories belong to keystone, whose container could put a link to
// /etc/shadow there for root to copy.
func readRegular(path string) ([]byte, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(f)
	return data, fi, err
}

// writeLike writes data to f and gives it fi's mode and, as root, its
// owner (no one else may give a file away), through the open file, then
// closes it.
func writeLike(f *os.File, data []byte, fi fs.FileInfo) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(fi.Mode().Perm())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && err == nil && os.Geteuid() == 0 {
		err = f.Chown(int(st.Uid), int(st.Gid))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// RestoreTarget is `mage restore DIR`.
func RestoreTarget(dir string) Target {
	return func(a *App, ctx context.Context) error { return a.Restore(ctx, dir) }
}

// Restore loads a backup's dump into the running MariaDB and puts its
// keys back, with their mode and owner. Everything in the backup is
// checked first: a file that is not one a backup holds (a key of
// keystone's, install's secrets, key or config) is refused, and nothing
// is changed.
func (a *App) Restore(ctx context.Context, dir string) error {
	cfg, err := a.installedConfig()
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	dump := filepath.Join(dir, dumpName)
	if fi, err := os.Stat(dump); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("restore: %s is not a backup of `mage backup`: no %s (%v)", dir, dumpName, err)
	}
	files, err := a.backedUpFiles(cfg, filepath.Join(dir, filesName))
	if err != nil {
		return err
	}
	if err := checkData(cfg, dir); err != nil {
		return err
	}
	password, err := a.rootPassword()
	if err != nil {
		return err
	}
	// Forgotten before the load: a restore that stops half way must not
	// leave today's passwords remembered for the backup's database.
	if err := a.forgetKeystonePasswords(cfg); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := a.loadDump(ctx, dump, password); err != nil {
		return err
	}
	for _, f := range files {
		if err := restoreFile(filepath.Join(dir, filesName, f), install.Rooted(a.o.Root, f)); err != nil {
			return fmt.Errorf("restore %s: %w", f, err)
		}
	}
	if err := a.restoreData(ctx, cfg, dir); err != nil {
		return err
	}
	a.o.Log.Info().Str("dir", dir).Msgf("restore: the databases, OVN's northbound database, Glance's images, Cinder's volumes and %d key files back from %s; restart the stack (`mage down`, then `mage up`) so every service reads them", len(files), dir)
	return nil
}

// backedUpFiles returns the host paths of the files under filesDir,
// refusing any a backup does not hold, and any whose directory is missing
// on the host (`mage up` makes them, with their owners).
func (a *App) backedUpFiles(cfg *config.Config, filesDir string) ([]string, error) {
	allowedDirs := keystoneKeyDirs(cfg)
	allowedFiles := a.backedUpSingleFiles(cfg)
	var out []string
	err := filepath.WalkDir(filesDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		target := "/" + strings.TrimPrefix(p, filesDir+"/")
		switch {
		case !d.Type().IsRegular():
			return fmt.Errorf("restore: refusing %s: not a regular file", p)
		case !slices.Contains(allowedFiles, target) && !slices.Contains(allowedDirs, filepath.Dir(target)):
			return fmt.Errorf("restore: refusing %s: %s is not a file a backup holds (keystone's keys, %s); nothing was restored", p, target, strings.Join(allowedFiles, ", "))
		}
		if _, err := os.Stat(install.Rooted(a.o.Root, filepath.Dir(target))); err != nil {
			return fmt.Errorf("restore: %s: run `mage up` first, which makes it with its owner; nothing was restored", filepath.Dir(target))
		}
		out = append(out, target)
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("restore: %s is not a backup of `mage backup`: %w", filepath.Dir(filesDir), err)
	}
	return out, err
}

// loadDump feeds the dump to the mariadb client in the container, after
// the password's line.
func (a *App) loadDump(ctx context.Context, dump, password string) error {
	f, err := os.Open(dump)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	cmd := mariadbCommand(io.MultiReader(strings.NewReader(password+"\n"), f), "mariadb")
	if _, err := a.o.Runner.Run(ctx, cmd); err != nil {
		return fmt.Errorf("restore: load %s (the stack must be up: `mage status`): %w", dump, err)
	}
	return nil
}

// restoreFile puts src's content at dst, with src's mode and, as root,
// its owner: written to a new file beside dst, then renamed over it, so a
// symlink at dst is replaced, never followed (the key directories belong
// to keystone).
func restoreFile(src, dst string) error {
	data, fi, err := readRegular(src)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".restore-*")
	if err != nil {
		return err
	}
	if err := writeLike(f, data, fi); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	return nil
}
