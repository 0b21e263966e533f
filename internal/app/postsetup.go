package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"github.com/hotstack-os/hotstack-os/internal/cloudnames"
	"github.com/hotstack-os/hotstack-os/internal/download"
	"github.com/hotstack-os/hotstack-os/internal/guest"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/internal/openstack"
	"github.com/hotstack-os/hotstack-os/stack"
)

// Where post-setup keeps what it makes (under HOTSTACK_ROOT). Each holds a
// credential: root only (0600). They are not in install's manifest, so
// uninstall keeps them, and a reinstalled cloud gets the same password.
const (
	// userPasswordFile is the hotstack user's generated password, made on
	// the first run and kept (HOTSTACK_USER_PASSWORD in .env wins).
	userPasswordFile = "hotstack-user.password" // in the config dir
	// cloudSecretFile is HotStack's cloud-secret.yaml.
	cloudSecretFile = "cloud-secret.yaml" // in the config dir
	// CloudsYAML is the system-wide clouds.yaml of the OpenStack clients.
	CloudsYAML = "/etc/openstack/clouds.yaml"
)

// PostSetup makes the running cloud ready for HotStack users (`mage
// postsetup`): the hotstack project and user, quotas, flavors, networks,
// router, security group rules, keypair, application credential (in
// cloud-secret.yaml) and the clouds.yaml entries. One line per resource
// (created, exists, updated), then a summary; a second run changes
// nothing. Run on its own, it first makes every API service's Keystone
// entry, which up makes as each service starts (an up with
// HOTSTACK_POST_SETUP=0 made none).
func (a *App) PostSetup(ctx context.Context) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	if err := a.registerAll(ctx, cfg); err != nil {
		return err
	}
	return a.postSetup(ctx, false)
}

// postSetup is PostSetup after the registrations: what up runs once the
// stack is healthy. With trust, a password or secret Keystone accepted on
// an earlier run is not tried again (up); without, each is (postsetup).
func (a *App) postSetup(ctx context.Context, trust bool) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	out := a.o.Stdout
	fmt.Fprintf(out, "post-setup: %s as %s, region %s\n", PublicAuthURL, cloudnames.AdminUser, cfg.Get("REGION_NAME"))

	var local []openstack.Change
	password := cfg.Get("HOTSTACK_USER_PASSWORD")
	if password == "" {
		var c openstack.Change
		password, c, err = keptPassword(a.path(a.o.Paths.ConfigDir + "/" + userPasswordFile))
		if err != nil {
			return fmt.Errorf("post-setup: the hotstack user's password: %w", err)
		}
		fmt.Fprintln(out, c.String())
		local = append(local, c)
	}
	key, keyPath, hint := operatorPublicKey()
	images, done, err := a.postSetupImages(ctx, cfg)
	if err != nil {
		return fmt.Errorf("post-setup: images: %w", err)
	}
	defer done()

	rep, err := openstack.PostSetup(ctx, openstack.PostSetupOptions{
		Admin: openstack.Credentials{AuthURL: PublicAuthURL, Username: cloudnames.AdminUser,
			Password: cfg.Get("KEYSTONE_ADMIN_PASSWORD"), Project: cloudnames.AdminProject},
		Region:          cfg.Get("REGION_NAME"),
		UserPassword:    password,
		ProviderCIDR:    cfg.Get("PROVIDER_NETWORK"),
		Gateway:         cfg.Get("BREX_IP"),
		PublicKey:       key,
		PublicKeyPath:   keyPath,
		KeyHint:         hint,
		CloudSecretFile: a.path(a.o.Paths.ConfigDir + "/" + cloudSecretFile),
		CloudsFile:      a.path(CloudsYAML),
		Images:          images,
		Out:             out,
		Known:           a.passwordMemory(cfg, trust),
	})
	rep.Changes = append(local, rep.Changes...)
	if err != nil {
		fmt.Fprintf(out, "post-setup: failed after %s\n", rep.Summary())
		return fmt.Errorf("post-setup: %w", err)
	}
	fmt.Fprintf(out, "post-setup: %s\n", rep.Summary())
	return nil
}

// path is target under HOTSTACK_ROOT.
func (a *App) path(target string) string { return install.Rooted(a.o.Root, target) }

// keptPassword returns the password kept in path, generating it (and
// writing the file, 0600) when there is none yet, with the line that
// reports the file.
func keptPassword(path string) (string, openstack.Change, error) {
	what := "file " + path
	data, err := os.ReadFile(path)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", openstack.Change{}, fmt.Errorf("read %s: %w", path, err)
	}
	if pw := strings.TrimSpace(string(data)); pw != "" {
		fi, err := os.Stat(path)
		if err != nil {
			return "", openstack.Change{}, fmt.Errorf("stat %s: %w", path, err)
		}
		if fi.Mode().Perm() == 0o600 {
			return pw, openstack.Change{Outcome: openstack.Exists, Resource: what}, nil
		}
		if err := os.Chmod(path, 0o600); err != nil {
			return "", openstack.Change{}, fmt.Errorf("chmod %s: %w", path, err)
		}
		return pw, openstack.Change{Outcome: openstack.Updated, Resource: what, Detail: "mode set to 0600"}, nil
	}
	pw, err := newPassword()
	if err != nil {
		return "", openstack.Change{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", openstack.Change{}, fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := atomicfile.Write(path, []byte(pw+"\n"), atomicfile.Options{Perm: 0o600}); err != nil {
		return "", openstack.Change{}, fmt.Errorf("write %s: %w", path, err)
	}
	c := openstack.Change{Outcome: openstack.Created, Resource: what, Detail: "the hotstack user's generated password, mode 0600"}
	if existed {
		c.Outcome, c.Detail = openstack.Updated, "it was empty: "+c.Detail
	}
	return pw, c, nil
}

// newPassword is 160 random bits in hex: no character any client, shell
// or YAML needs to quote.
func newPassword() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate a password: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// operatorPublicKey reads the operator's SSH public key: ~/.ssh/id_ed25519.pub,
// else ~/.ssh/id_rsa.pub. Without one it returns the path it looked at
// first and how to make a key.
func operatorPublicKey() (key, path string, hint []string) {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "$HOME"
	}
	dir := filepath.Join(home, ".ssh")
	for _, name := range []string{"id_ed25519.pub", "id_rsa.pub"} {
		p := filepath.Join(dir, name)
		if data, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(data)) != "" {
			return strings.TrimSpace(string(data)), p, nil
		}
	}
	private := filepath.Join(dir, "id_ed25519")
	return "", filepath.Join(dir, "id_ed25519.pub"), []string{
		"make one with: ssh-keygen -t ed25519 -f " + private,
		"then run `mage postsetup` again to import it as keypair " + openstack.KeypairName,
	}
}

// GuestImageSpec is the test guest's Glance image (internal/guest) for a
// disk extracted to path: public, raw, with the guest's properties.
func GuestImageSpec(path string) openstack.ImageSpec {
	return openstack.ImageSpec{
		Name:            guest.GlanceName,
		File:            path,
		DiskFormat:      guest.DiskFormat,
		ContainerFormat: guest.ContainerFormat,
		Properties:      guest.Properties(),
		MinDiskGB:       guest.MinDiskGB,
		MinRAMMB:        guest.MinRAMMB,
	}
}

// postSetupImages is the images post-setup uploads: the test guest, its
// disk copied out of the podman image `mage images` builds into a
// directory of its own in the data directory (beside the cloud's data,
// not in /tmp), which done removes, so purge finds nothing it did not
// record. Without that podman image the guest is left out with a message
// (`mage images` builds it), not an error: the rest of post-setup stands.
func (a *App) postSetupImages(ctx context.Context, cfg *config.Config) (specs []openstack.ImageSpec, done func(), err error) {
	dir, err := os.MkdirTemp(a.path(cfg.Get("HOTSTACK_DATA_DIR")), ".post-setup-")
	if err != nil {
		return nil, nil, err
	}
	done = func() { _ = os.RemoveAll(dir) }
	file := filepath.Join(dir, guest.GlanceName+".img")
	if err := guest.Extract(ctx, a.o.Runner, guest.Image(cfg.Get(stack.ReleaseKey)), file); err != nil {
		fmt.Fprintf(a.o.Stdout, "skipped  image %s: %v (mage images builds it)\n", guest.GlanceName, err)
	} else {
		spec := GuestImageSpec(file)
		spec.Replace = true
		specs = append(specs, spec)
	}
	return append(specs, a.catalogImages(cfg)...), done, nil
}

// catalogImages is the original's images, each from the URL or file its
// .env key names: downloaded into the cache only when Glance lacks the
// image, with progress on stdout.
func (a *App) catalogImages(cfg *config.Config) []openstack.ImageSpec {
	cache := &download.Cache{Dir: a.path(download.DefaultDir), Client: imageClient(), Progress: a.o.Stdout, Terminal: isTerminal(a.o.Stdout)}
	var specs []openstack.ImageSpec
	for _, img := range openstack.Catalog {
		spec := openstack.ImageSpec{Name: img.Name, DiskFormat: img.DiskFormat, Properties: img.Properties}
		source := cfg.Get(img.Key)
		if source == "" {
			spec.Skip = img.Key + " is empty"
			specs = append(specs, spec)
			continue
		}
		key := img.Key
		spec.Fetch = func(ctx context.Context) (string, error) {
			path, _, err := cache.Fetch(ctx, source, img.Name)
			if err != nil {
				return "", fmt.Errorf("%s: %w (set %s to a reachable URL or a local file, or empty to skip it)", source, err, key)
			}
			return path, nil
		}
		specs = append(specs, spec)
	}
	return specs
}

// imageClient downloads images: it gives up on a host that does not
// answer, but not on a large image that takes minutes.
func imageClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}}
}

// isTerminal reports whether w is a terminal, where progress redraws one
// line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
