package openstack

import (
	"context"
	"fmt"
	"strings"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"
)

// FlavorSpec is a public flavor post-setup makes.
type FlavorSpec struct {
	Name          string
	VCPUs, RAMMiB int
	DiskGiB       int
}

// Flavors are the original's seven, then hotstack.tiny.
var Flavors = []FlavorSpec{
	{"hotstack.small", 1, 2048, 20},
	{"hotstack.medium", 2, 4096, 40},
	{"hotstack.mlarge", 2, 6144, 60},
	{"hotstack.large", 4, 8192, 80},
	{"hotstack.xlarge", 8, 16384, 160},
	{"hotstack.xxlarge", 12, 32768, 160},
	{"hotstack.xxxlarge", 12, 49152, 160},
	// Ours, not the original's: small enough for test guests on a laptop.
	{"hotstack.tiny", 1, 256, 1},
}

// flavorDiff says how f differs from spec; "" when it does not.
func flavorDiff(f flavors.Flavor, spec FlavorSpec) string {
	var d []string
	if f.VCPUs != spec.VCPUs {
		d = append(d, fmt.Sprintf("vcpus %d→%d", f.VCPUs, spec.VCPUs))
	}
	if f.RAM != spec.RAMMiB {
		d = append(d, fmt.Sprintf("ram %d→%d", f.RAM, spec.RAMMiB))
	}
	if f.Disk != spec.DiskGiB {
		d = append(d, fmt.Sprintf("disk %d→%d", f.Disk, spec.DiskGiB))
	}
	if !f.IsPublic {
		d = append(d, "private→public")
	}
	return strings.Join(d, ", ")
}

// ensureFlavors makes every flavor of Flavors. A flavor cannot be
// changed, so one that differs is deleted and made again (servers keep
// their own copy of their flavor; HotStack names flavors, not IDs).
func (p *postSetup) ensureFlavors(ctx context.Context) error {
	c := p.admin.compute
	all, err := allFlavors(ctx, c)
	if err != nil {
		return err
	}
	byName := map[string]flavors.Flavor{}
	for _, f := range all {
		byName[f.Name] = f
	}
	for _, spec := range Flavors {
		what := "flavor " + spec.Name
		f, ok := byName[spec.Name]
		diff := ""
		if ok {
			if diff = flavorDiff(f, spec); diff == "" {
				p.record(Exists, what, "")
				continue
			}
			if err := flavors.Delete(ctx, c, f.ID).ExtractErr(); err != nil && !notFound(err) {
				return fmt.Errorf("delete %s (%s) to recreate it: %w", what, diff, err)
			}
		}
		public := true
		_, err := flavors.Create(ctx, c, flavors.CreateOpts{Name: spec.Name, VCPUs: spec.VCPUs, RAM: spec.RAMMiB,
			Disk: intp(spec.DiskGiB), IsPublic: &public}).Extract()
		if err != nil {
			return fmt.Errorf("create %s: %w", what, err)
		}
		if ok {
			p.record(Updated, what, "recreated: "+diff)
		} else {
			p.record(Created, what, fmt.Sprintf("%d vCPU, %d MiB, %d GB", spec.VCPUs, spec.RAMMiB, spec.DiskGiB))
		}
	}
	return nil
}

// sameKey compares two OpenSSH public keys by type and key, not comment.
func sameKey(a, b string) bool {
	fa, fb := strings.Fields(a), strings.Fields(b)
	return len(fa) >= 2 && len(fb) >= 2 && fa[0] == fb[0] && fa[1] == fb[1]
}

// ensureKeypair imports the operator's public key as the hotstack user's
// keypair; one holding another key is replaced. Without a key it says how
// to make one and goes on.
func (p *postSetup) ensureKeypair(ctx context.Context) error {
	c := p.user.compute
	what := fmt.Sprintf("keypair %s of user %s", KeypairName, HotstackUser)
	kp, err := keypairs.Get(ctx, c, KeypairName, nil).Extract()
	found := err == nil
	if err != nil && !notFound(err) {
		return fmt.Errorf("read %s: %w", what, err)
	}
	if strings.TrimSpace(p.o.PublicKey) == "" {
		if found {
			p.record(Exists, what, "no public key at "+p.o.PublicKeyPath+" to compare it with")
			return nil
		}
		p.record(Skipped, what, "no SSH public key at "+p.o.PublicKeyPath)
		for _, l := range p.o.KeyHint {
			fmt.Fprintln(p.o.Out, "         "+l)
		}
		return nil
	}
	if found && sameKey(kp.PublicKey, p.o.PublicKey) {
		p.record(Exists, what, "")
		return nil
	}
	if found {
		if err := keypairs.Delete(ctx, c, KeypairName, nil).ExtractErr(); err != nil && !notFound(err) {
			return fmt.Errorf("delete %s to replace its key: %w", what, err)
		}
	}
	if _, err := keypairs.Create(ctx, c, keypairs.CreateOpts{Name: KeypairName, PublicKey: strings.TrimSpace(p.o.PublicKey)}).Extract(); err != nil {
		return fmt.Errorf("create %s from %s: %w", what, p.o.PublicKeyPath, err)
	}
	if found {
		p.record(Updated, what, "replaced by the key in "+p.o.PublicKeyPath)
	} else {
		p.record(Created, what, "from "+p.o.PublicKeyPath)
	}
	return nil
}
