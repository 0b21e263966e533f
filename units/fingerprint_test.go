package units

import (
	"bytes"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/stack"
)

// fingerprints renders env with in (the test inputs when nil) and returns
// every container's fingerprint and unit text.
func fingerprints(t *testing.T, env string, change func(*Inputs)) (map[string]Fingerprint, map[string]string) {
	t.Helper()
	cfg, st := loadTest(t, env)
	in := testInputs(t, cfg, st)
	if change != nil {
		change(&in)
	}
	r, err := Render(cfg, st, DefaultPaths(), in)
	if err != nil {
		t.Fatal(err)
	}
	units := map[string]string{}
	for _, svc := range st.Containers() {
		for _, f := range r.Files {
			if f.Path == DefaultPaths().UnitDir+"/"+stack.UnitName(svc.Name) {
				units[svc.Name] = string(f.Data)
			}
		}
	}
	return r.Fingerprints, units
}

// changed returns, for each service whose fingerprint differs, why.
func changed(before, after map[string]Fingerprint) map[string]string {
	out := map[string]string{}
	for svc, fp := range after {
		if c := fp.Changes(before[svc]); len(c) > 0 {
			out[svc] = strings.Join(c, ", ")
		}
	}
	return out
}

func TestFingerprintsFollowEachInput(t *testing.T) {
	base, _ := fingerprints(t, testEnv, nil)
	if len(base) != 22 {
		t.Fatalf("%d fingerprints, want one per container (22)", len(base))
	}
	cases := []struct {
		name   string
		env    string
		change func(*Inputs)
		want   map[string]string
	}{
		{"a rendered file only keystone mounts", testEnv, func(in *Inputs) {
			for i, f := range in.Configs {
				if strings.HasSuffix(f.Path, "/keystone/keystone.conf") {
					in.Configs[i].Data = []byte("changed\n")
				}
			}
		}, map[string]string{"keystone": "keystone.conf changed"}},
		{"a rendered file three services mount", testEnv, func(in *Inputs) {
			for i, f := range in.Configs {
				if strings.HasSuffix(f.Path, "/heat/heat.secrets.conf") || strings.HasSuffix(f.Path, "/cinder/nfs_shares") {
					in.Configs[i].Data = []byte("changed\n")
				}
			}
		}, map[string]string{"heat-api": "heat.secrets.conf changed", "heat-engine": "heat.secrets.conf changed", "cinder-volume": "nfs_shares changed"}},
		{"an image tag", testEnv + "NOVA_API_IMAGE=localhost/hotstack-os-nova:v2\n", nil,
			map[string]string{"nova-api": "image changed"}},
		// The admin password: Keystone alone carries it (up registers the
		// API services from the host).
		{"a secret", strings.Replace(testEnv, "adminSecret1", "adminSecret1b", 1), nil, map[string]string{
			"keystone": "secrets changed"}},
		{"a service's own password", testEnv + "GLANCE_SERVICE_PASSWORD=glanceSecret8\n", nil, map[string]string{
			"glance": "secrets changed"}},
		{"the root password", strings.Replace(testEnv, "rootSecret2", "rootSecret2b", 1), nil,
			map[string]string{"mariadb": "secrets changed"}},
		{"a value on the command line", testEnv + "OVN_NORTHD_IP=172.31.0.33\n", nil, map[string]string{
			// ovn-northd's --ip; neutron-metadata's OVN_SB_IP; the rest
			// read it from files, which these inputs keep fixed.
			"ovn-northd": "unit changed", "neutron-metadata": "unit changed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			after, _ := fingerprints(t, c.env, c.change)
			if got := changed(base, after); !maps.Equal(got, c.want) {
				t.Errorf("changed:\n%v\nwant:\n%v", got, c.want)
			}
		})
	}
}

func TestFingerprintLabelsOnTheCommandLine(t *testing.T) {
	fps, units := fingerprints(t, testEnv, nil)
	hexValue := regexp.MustCompile(`^[0-9a-f]{16}$`)
	for svc, fp := range fps {
		labels := map[string]string{}
		for _, l := range fp.Labels() {
			k, v, _ := strings.Cut(l, "=")
			labels[k] = v
			if !strings.Contains(units[svc], " --label "+execWord(l)+" ") {
				t.Errorf("%s: the unit's podman run lacks --label %s", svc, l)
			}
			if k != LabelImage && !hexValue.MatchString(v) {
				t.Errorf("%s: label %s=%s is not a fingerprint", svc, k, v)
			}
		}
		back, ok := ParseLabels(labels)
		if !ok || len(fp.Changes(back)) > 0 {
			t.Errorf("%s: labels do not read back: %v", svc, fp.Changes(back))
		}
		if (fp.Secrets != "") != strings.Contains(units[svc], "EnvironmentFile=") {
			t.Errorf("%s: secrets label %q, but the unit's EnvironmentFile= disagrees", svc, fp.Secrets)
		}
	}
	if _, ok := ParseLabels(map[string]string{"other": "x"}); ok {
		t.Error("a container without our labels has a fingerprint")
	}
	if got := fps["keystone"].Changes(Fingerprint{}); !slices.Equal(got, []string{"unit changed", "image changed", "db.cnf changed", "keystone.conf changed", "keystone.secrets.conf changed", "secrets changed"}) {
		t.Errorf("changes against nothing: %v", got)
	}
	// A file no longer mounted counts as a change too.
	was := fps["keystone"]
	was.Configs = maps.Clone(was.Configs)
	was.Configs["old.conf"] = "0123456789abcdef"
	if got := fps["keystone"].Changes(was); !slices.Equal(got, []string{"old.conf changed"}) {
		t.Errorf("a file dropped: %v", got)
	}
}

func TestFingerprintsDependOnTheKey(t *testing.T) {
	a, _ := fingerprints(t, testEnv, nil)
	b, _ := fingerprints(t, testEnv, func(in *Inputs) { in.Key = bytes.Repeat([]byte{1}, KeySize) })
	for svc := range a {
		if a[svc].Unit == b[svc].Unit || a[svc].Secrets != "" && a[svc].Secrets == b[svc].Secrets {
			t.Errorf("%s: the same fingerprint under another key", svc)
		}
	}
}

func TestRenderRefusesBadInputs(t *testing.T) {
	cfg, st := loadTest(t, testEnv)
	in := testInputs(t, cfg, st)
	for _, c := range []struct {
		name, want string
		change     func(*Inputs)
	}{
		{"short key", "fingerprint key has 3 bytes", func(in *Inputs) { in.Key = []byte("abc") }},
		{"a mounted file missing", "service keystone mounts /var/lib/hotstack-os/runtime/config/keystone/keystone.conf, which no template renders", func(in *Inputs) {
			in.Configs = slices.DeleteFunc(slices.Clone(in.Configs), func(f File) bool { return strings.HasSuffix(f.Path, "/keystone.conf") })
		}},
		{"unknown libvirt unit", "libvirt.service is not one of the libvirt units", func(in *Inputs) { in.Libvirt = []string{"libvirt.service"} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := in
			c.change(&bad)
			if _, err := Render(cfg, st, DefaultPaths(), bad); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestKeyFileRoundTrip(t *testing.T) {
	key := testKey()
	got, err := ParseKey(KeyFileData(key))
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("ParseKey(KeyFileData) = %x, %v", got, err)
	}
	for _, bad := range []string{"", "# nothing\n", "FINGERPRINT_KEY=zz\n", "FINGERPRINT_KEY=abcd\n"} {
		if _, err := ParseKey([]byte(bad)); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

func TestInfraUnitPullsInThePrerequisites(t *testing.T) {
	cfg, st := loadTest(t, testEnv)
	unitText := func(libvirt []string) string {
		in := testInputs(t, cfg, st)
		in.Libvirt = libvirt
		r, err := Render(cfg, st, DefaultPaths(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range r.Files {
			if strings.HasSuffix(f.Path, stack.UnitName(stack.InfraName)) {
				return string(f.Data)
			}
		}
		t.Fatal("no infra unit")
		return ""
	}
	line := func(text, key string) []string {
		for l := range strings.SplitSeq(text, "\n") {
			if v, ok := strings.CutPrefix(l, key+"="); ok {
				return strings.Fields(v)
			}
		}
		return nil
	}
	def := unitText(nil)
	for _, name := range []string{"openvswitch-switch.service", "openvswitch.service", "ovsdb-server.service", "ovs-vswitchd.service",
		"libvirtd.service"} {
		if !slices.Contains(line(def, "Wants"), name) || !slices.Contains(line(def, "After"), name) {
			t.Errorf("the infra unit does not want and follow %s:\n%s", name, def)
		}
	}
	// No NFS server: it would listen on every address for a share that
	// is a bind mount.
	for _, name := range []string{"nfs-server.service", "nfs-kernel-server.service"} {
		if strings.Contains(def, name) {
			t.Errorf("the infra unit pulls in %s:\n%s", name, def)
		}
	}
	for _, name := range LibvirtUnits() {
		if !slices.Contains(line(def, "After"), name) {
			t.Errorf("the infra unit is not ordered after %s", name)
		}
	}
	if slices.Contains(line(def, "Wants"), "virtqemud.service") {
		t.Error("the infra unit wants both libvirt flavours, which conflict")
	}
	modular := unitText([]string{"virtqemud.socket"})
	if w := line(modular, "Wants"); !slices.Contains(w, "virtqemud.socket") || slices.Contains(w, "libvirtd.service") {
		t.Errorf("on a modular libvirt host, Wants=%v", w)
	}
}
