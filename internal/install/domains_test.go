package install

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// novaXML is a domain as nova defines it (trimmed).
const novaXML = `<domain type="kvm">
  <name>%s</name>
  <metadata>
    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
      <nova:name>smoke-1</nova:name>
    </nova:instance>
  </metadata>
  <devices><disk type="file"><source file="/var/lib/hotstack-os/nova-instances/uuid/disk"/></disk></devices>
</domain>`

// fakeLibvirt answers virsh as a host whose libvirt holds domains (name:
// XML), running the active ones; undefine --nvram fails when noNVRAM.
type fakeLibvirt struct {
	domains map[string]string
	active  []string
	noNVRAM bool
}

func (l *fakeLibvirt) run(_ context.Context, c execx.Command) (execx.Result, error) {
	if c.Name != "virsh" || len(c.Args) < 3 || c.Args[0] != "-c" || c.Args[1] != LibvirtURI {
		return execx.Result{}, errors.New("unexpected command: " + c.String())
	}
	args := c.Args[2:]
	fail := func(msg string) (execx.Result, error) {
		return execx.Result{}, &execx.Error{Cmd: c, ExitCode: 1, Stderr: msg, Err: errors.New("exit status 1")}
	}
	switch {
	case slices.Equal(args, []string{"list", "--name", "--all"}):
		var names []string
		for n := range l.domains {
			names = append(names, n)
		}
		slices.Sort(names)
		return execx.Result{Stdout: []byte(strings.Join(names, "\n") + "\n\n")}, nil
	case slices.Equal(args, []string{"list", "--name"}):
		return execx.Result{Stdout: []byte(strings.Join(l.active, "\n") + "\n")}, nil
	case args[0] == "dumpxml":
		return execx.Result{Stdout: []byte(l.domains[args[1]])}, nil
	case args[0] == "undefine" && args[1] == "--nvram" && l.noNVRAM:
		return fail("error: unsupported flags (0x4) in function qemuDomainUndefineFlags")
	}
	return execx.Result{}, nil
}

func TestNovaDomainsAreOnlyThoseWithNovasMetadata(t *testing.T) {
	l := &fakeLibvirt{
		domains: map[string]string{
			"instance-0000000a": strings.Replace(novaXML, "%s", "instance-0000000a", 1),
			"instance-0000000b": strings.Replace(novaXML, "%s", "instance-0000000b", 1),
			// Named as nova names them, but the operator's: no metadata,
			// or nova's URL only in the description.
			"instance-0000000c": `<domain><name>instance-0000000c</name></domain>`,
			"instance-0000000d": `<domain><name>instance-0000000d</name><description>copied from http://openstack.org/xmlns/libvirt/nova/1.1</description></domain>`,
			// nova's metadata, but not a name nova gives.
			"win11": strings.Replace(novaXML, "%s", "win11", 1),
		},
		active: []string{"instance-0000000a", "instance-0000000c", "win11"},
	}
	r := &execx.Fake{Handler: l.run}
	domains, err := NovaDomains(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	want := []Domain{{Name: "instance-0000000a", Running: true}, {Name: "instance-0000000b"}}
	if !slices.Equal(domains, want) {
		t.Fatalf("nova's domains: %+v, want %+v", domains, want)
	}
	if got := DomainNames(domains); got != "instance-0000000a (running), instance-0000000b" {
		t.Errorf("names: %q", got)
	}
	for _, c := range r.Calls() {
		if strings.Contains(c, "win11") || strings.Contains(c, "destroy") || strings.Contains(c, "undefine") {
			t.Errorf("listing ran %s", c)
		}
	}
}

func TestRemoveDomainsDestroysRunningOnesThenUndefinesWithNVRAM(t *testing.T) {
	l := &fakeLibvirt{}
	r := &execx.Fake{Handler: l.run}
	domains := []Domain{{Name: "instance-0000000a", Running: true}, {Name: "instance-0000000b"}}
	if err := RemoveDomains(context.Background(), r, domains, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"virsh -c qemu:///system destroy instance-0000000a",
		"virsh -c qemu:///system undefine --nvram instance-0000000a",
		"virsh -c qemu:///system undefine --nvram instance-0000000b",
	}
	if got := r.Calls(); !slices.Equal(got, want) {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A libvirt that refuses --nvram is asked again without it.
	l.noNVRAM = true
	r = &execx.Fake{Handler: l.run}
	if err := RemoveDomains(context.Background(), r, domains[1:], zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	want = []string{"virsh -c qemu:///system undefine --nvram instance-0000000b", "virsh -c qemu:///system undefine instance-0000000b"}
	if got := r.Calls(); !slices.Equal(got, want) {
		t.Fatalf("calls without --nvram:\n%s", strings.Join(got, "\n"))
	}
}

func TestNovaDomainsWithoutLibvirt(t *testing.T) {
	notInstalled := &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		return execx.Result{}, &execx.Error{Cmd: c, ExitCode: -1, Err: exec.ErrNotFound}
	}}
	if domains, err := NovaDomains(context.Background(), notInstalled); err != nil || len(domains) != 0 {
		t.Fatalf("no virsh: %v %v", domains, err)
	}
	down := &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		return execx.Result{}, &execx.Error{Cmd: c, ExitCode: 1, Stderr: "error: failed to connect to the hypervisor", Err: errors.New("exit status 1")}
	}}
	if _, err := NovaDomains(context.Background(), down); err == nil || !strings.Contains(err.Error(), "is libvirt running?") {
		t.Fatalf("libvirt down: %v", err)
	}
}
