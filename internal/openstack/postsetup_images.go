package openstack

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/imagedata"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
)

// ImageSpec is an image post-setup uploads, public, from a local file,
// when Glance holds no active image of its name.
type ImageSpec struct {
	Name string
	// File is the local disk image; read only when the upload happens.
	File string
	// DiskFormat is Glance's disk_format: raw, qcow2, ...
	DiskFormat string
	// ContainerFormat is bare when empty.
	ContainerFormat string
	// Properties are set on the image (hw_firmware_type, os_shutdown_timeout, ...).
	Properties map[string]string
	// MinDiskGB and MinRAMMB are Glance's min_disk and min_ram; 0 for none.
	MinDiskGB, MinRAMMB int
	// Replace an active image whose content differs from File: for images
	// this tool builds (the test guest), which change with their recipe.
	// Other images are never replaced once uploaded.
	Replace bool
	// Fetch, when File is empty, makes the local file (a download into a
	// cache): called only when Glance lacks the image. Its error skips
	// the image with the message, and post-setup goes on.
	Fetch func(ctx context.Context) (string, error)
	// Skip, when not empty, is why the image has no source: it is
	// reported as skipped unless Glance already has it.
	Skip string
}

// CatalogImage is one of the original's Glance images: its name, the .env
// key of its source, and how Glance should see it.
type CatalogImage struct {
	Name, Key, DiskFormat string
	Properties            map[string]string
}

// uefi is the properties of an image that boots with UEFI on q35.
func uefi(extra ...string) map[string]string {
	p := map[string]string{"hw_firmware_type": "uefi", "hw_machine_type": "q35"}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i]] = extra[i+1]
	}
	return p
}

// Catalog is the original post-setup's images, names and properties as
// HotStack's scenarios name them.
var Catalog = []CatalogImage{
	{"cirros", "HOTSTACK_CIRROS_URL", "qcow2", map[string]string{}},
	{"CentOS-Stream-GenericCloud-9", "HOTSTACK_CENTOS_STREAM_9_URL", "qcow2", uefi()},
	{"hotstack-controller", "HOTSTACK_CONTROLLER_IMAGE_URL", "qcow2", map[string]string{}},
	{"sushy-tools-blank-image", "HOTSTACK_BLANK_IMAGE_URL", "qcow2", uefi("os_shutdown_timeout", "5")},
	{"uefi-netboot", "HOTSTACK_UEFI_NETBOOT_URL", "raw", uefi("os_shutdown_timeout", "5")},
	{"ipxe-boot-usb", "HOTSTACK_IPXE_BIOS_URL", "raw", map[string]string{"os_shutdown_timeout": "5"}},
	{"ipxe-rescue-uefi", "HOTSTACK_IPXE_EFI_URL", "raw", uefi("os_shutdown_timeout", "5", "hw_rescue_device", "cdrom", "hw_rescue_bus", "usb")},
	{"ipxe-rescue-bios", "HOTSTACK_IPXE_BIOS_URL", "raw", map[string]string{"os_shutdown_timeout": "5", "hw_rescue_device": "cdrom", "hw_rescue_bus": "usb"}},
	{"nat64-appliance", "HOTSTACK_NAT64_IMAGE_URL", "qcow2", uefi()},
	{"ubuntu-noble-server", "HOTSTACK_UBUNTU_NOBLE_URL", "qcow2", uefi()},
}

// ensureImages uploads every image of o.Images that Glance lacks.
func (p *postSetup) ensureImages(ctx context.Context) error {
	for _, spec := range p.o.Images {
		if err := p.ensureImage(ctx, p.admin.image, spec); err != nil {
			return err
		}
	}
	return nil
}

// ensureImage uploads spec unless an active image of its name exists. An
// image of that name that never became active (an upload cut short) is
// deleted and uploaded again.
func (p *postSetup) ensureImage(ctx context.Context, c *gophercloud.ServiceClient, spec ImageSpec) error {
	what := "image " + spec.Name
	pages, err := images.List(c, images.ListOpts{Name: spec.Name}).AllPages(ctx)
	if err != nil {
		return fmt.Errorf("list images named %s: %w", spec.Name, err)
	}
	found, err := images.ExtractImages(pages)
	if err != nil {
		return fmt.Errorf("read images named %s: %w", spec.Name, err)
	}
	sum := ""
	if spec.Replace {
		if sum, err = fileMD5(spec.File); err != nil {
			return fmt.Errorf("upload %s: %w", what, err)
		}
	}
	replaced := false
	for _, img := range found {
		if img.Status == images.ImageStatusActive {
			if !spec.Replace || img.Checksum == sum {
				p.record(Exists, what, "")
				return nil
			}
			replaced = true // another build of it: uploaded again below
		}
	}
	if spec.Skip != "" {
		p.record(Skipped, what, spec.Skip)
		return nil
	}
	if spec.File == "" && spec.Fetch != nil {
		file, err := spec.Fetch(ctx)
		if err != nil {
			p.record(Skipped, what, err.Error())
			return nil
		}
		spec.File = file
	}
	f, err := os.Open(spec.File)
	if err != nil {
		return fmt.Errorf("upload %s: %w", what, err)
	}
	defer f.Close()
	for _, img := range found {
		if err := images.Delete(ctx, c, img.ID).ExtractErr(); err != nil && !notFound(err) {
			return fmt.Errorf("delete %s %s (status %s) to upload it again: %w", what, img.ID, img.Status, err)
		}
	}
	container := spec.ContainerFormat
	if container == "" {
		container = "bare"
	}
	public := images.ImageVisibilityPublic
	img, err := images.Create(ctx, c, images.CreateOpts{Name: spec.Name, DiskFormat: spec.DiskFormat,
		ContainerFormat: container, Visibility: &public, Properties: spec.Properties,
		MinDisk: spec.MinDiskGB, MinRAM: spec.MinRAMMB}).Extract()
	if err != nil {
		return fmt.Errorf("create %s: %w", what, err)
	}
	if err := imagedata.Upload(ctx, c, img.ID, f).ExtractErr(); err != nil {
		_ = images.Delete(ctx, c, img.ID).ExtractErr() // do not leave a queued image behind
		return fmt.Errorf("upload %s from %s: %w", what, spec.File, err)
	}
	got, err := images.Get(ctx, c, img.ID).Extract()
	if err != nil {
		return fmt.Errorf("read %s after its upload: %w", what, err)
	}
	if got.Status != images.ImageStatusActive {
		return fmt.Errorf("%s is %s after its upload, not active", what, got.Status)
	}
	// Glance's checksum is the MD5 of what it received: the file's, or
	// the upload was damaged on the way.
	if sum == "" {
		if sum, err = fileMD5(spec.File); err != nil {
			return fmt.Errorf("check %s: %w", what, err)
		}
	}
	if got.Checksum != sum {
		return fmt.Errorf("%s: Glance's checksum %s is not the MD5 of %s (%s)", what, got.Checksum, spec.File, sum)
	}
	detail := fmt.Sprintf("%s, from %s", spec.DiskFormat, spec.File)
	if replaced {
		p.record(Updated, what, "its content changed; "+detail)
	} else if len(found) > 0 {
		p.record(Updated, what, "uploaded again over an unfinished upload; "+detail)
	} else {
		p.record(Created, what, detail)
	}
	return nil
}

// fileMD5 is the hex MD5 of a file: what Glance keeps as an image's
// checksum.
func fileMD5(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
