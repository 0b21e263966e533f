package install

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// LibvirtURI is the libvirt nova-compute drives (nova.conf's
// connection_uri): the host's system instance, named so that a
// LIBVIRT_DEFAULT_URI of the operator's does not send virsh elsewhere.
const LibvirtURI = "qemu:///system"

// novaNamespace starts the XML namespace of the metadata nova writes into
// every domain it defines (…/nova/1.1 today).
const novaNamespace = "http://openstack.org/xmlns/libvirt/nova/"

// novaDomainName is nova's default instance_name_template, instance-%08x.
var novaDomainName = regexp.MustCompile(`^instance-[0-9a-f]{8,}$`)

// Domain is a libvirt domain nova defined.
type Domain struct {
	Name    string
	Running bool // active (running or paused): destroy before undefine
}

// NovaDomains returns the libvirt domains nova defined: those named as
// nova names them whose XML carries nova's metadata. Any other domain is
// the operator's and is never listed. A host without virsh has none
// (libvirt is not installed); a virsh that cannot reach libvirt is an
// error, since nova's domains may be there.
func NovaDomains(ctx context.Context, r execx.Runner) ([]Domain, error) {
	all, err := virshNames(ctx, r, "--all")
	if errors.Is(err, exec.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list libvirt domains (is libvirt running? nova's guests must be removed before their disks): %w", err)
	}
	active, err := virshNames(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("list running libvirt domains: %w", err)
	}
	var out []Domain
	for _, name := range all {
		if !novaDomainName.MatchString(name) {
			continue
		}
		xmlText, err := execx.Output(ctx, r, "virsh", "-c", LibvirtURI, "dumpxml", name)
		if err != nil {
			return nil, fmt.Errorf("read libvirt domain %s: %w", name, err)
		}
		nova, err := hasNovaMetadata(xmlText)
		if err != nil {
			return nil, fmt.Errorf("libvirt domain %s: %w", name, err)
		}
		if nova {
			out = append(out, Domain{Name: name, Running: slices.Contains(active, name)})
		}
	}
	return out, nil
}

// virshNames lists domain names (virsh list --name, plus flags).
func virshNames(ctx context.Context, r execx.Runner, flags ...string) ([]string, error) {
	out, err := execx.Output(ctx, r, "virsh", append([]string{"-c", LibvirtURI, "list", "--name"}, flags...)...)
	return strings.Fields(out), err
}

// hasNovaMetadata reports whether a domain's XML has, in its <metadata>,
// an element in nova's namespace. The namespace must be on the element
// itself: the same URL in a description or a comment does not count.
func hasNovaMetadata(domainXML string) (bool, error) {
	dec := xml.NewDecoder(strings.NewReader(domainXML))
	var path []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("parse its XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(path) == 2 && path[0] == "domain" && path[1] == "metadata" && strings.HasPrefix(t.Name.Space, novaNamespace) {
				return true, nil
			}
			path = append(path, t.Name.Local)
		case xml.EndElement:
			path = path[:len(path)-1]
		}
	}
}

// RemoveDomains stops (virsh destroy, if running) and undefines each
// domain, with its UEFI variables (--nvram); a libvirt that refuses
// --nvram is asked again without it.
func RemoveDomains(ctx context.Context, r execx.Runner, domains []Domain, log zerolog.Logger) error {
	for _, d := range domains {
		// A guest that stopped since it was listed is no error.
		if d.Running {
			if _, err := virsh(ctx, r, "destroy", d.Name); err != nil && !virshSays(err, "domain is not running") {
				return fmt.Errorf("stop libvirt domain %s: %w", d.Name, err)
			}
		}
		if _, err := virsh(ctx, r, "undefine", "--nvram", d.Name); err != nil {
			_, plainErr := virsh(ctx, r, "undefine", d.Name)
			// A transient domain is gone once destroyed.
			if plainErr != nil && !virshSays(plainErr, "Domain not found") {
				return fmt.Errorf("undefine libvirt domain %s: %w (with --nvram: %v)", d.Name, plainErr, err)
			}
		}
		log.Info().Str("domain", d.Name).Msg("removed nova's libvirt domain")
	}
	return nil
}

func virsh(ctx context.Context, r execx.Runner, args ...string) (execx.Result, error) {
	return r.Run(ctx, execx.Command{Name: "virsh", Args: append([]string{"-c", LibvirtURI}, args...)})
}

// virshSays reports whether a failed virsh said msg.
func virshSays(err error, msg string) bool {
	var e *execx.Error
	return errors.As(err, &e) && strings.Contains(e.Stderr, msg)
}

// DomainNames is the domains' names, running ones marked, for messages.
func DomainNames(domains []Domain) string {
	names := make([]string, len(domains))
	for i, d := range domains {
		names[i] = d.Name
		if d.Running {
			names[i] += " (running)"
		}
	}
	return strings.Join(names, ", ")
}
