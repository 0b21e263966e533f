package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/entrypoint"
	"github.com/hotstack-os/hotstack-os/stack"
)

// osloFile is one OpenStack configuration as a service reads it: the
// rendered file plus its secrets template completed, checked against the
// option namespaces the project's own config generator lists.
type osloFile struct {
	image      string
	files      []string // below templates/configs, merged in order
	namespaces []string
	// backends are sections named by enabled_backends: their options are
	// the backend_defaults group's, so they are checked under that name.
	backends []string
	// authGroups are sections whose options keystoneauth registers at run
	// time (cinder's [nova]), which the validator's schema lacks: they are
	// checked against keystoneauth's own option names instead.
	authGroups []string
}

func osloFiles(release string) []osloFile {
	image := func(repo string) string { return repo + ":" + release }
	common := []string{"oslo.log", "oslo.policy", "osprofiler", "keystonemiddleware.auth_token"}
	return []osloFile{
		{image("localhost/hotstack-os_keystone"), []string{"keystone/keystone.conf", "keystone/keystone.secrets.conf"},
			append([]string{"keystone", "oslo.cache", "oslo.db", "oslo.middleware", "oslo.messaging"}, common...), nil, nil},
		{image("localhost/hotstack-os_glance"), []string{"glance/glance-api.conf", "glance/glance-api.secrets.conf"},
			append([]string{"glance.api", "glance.store", "glance.multi_store", "oslo.concurrency", "oslo.messaging", "oslo.db",
				"oslo.db.concurrency", "oslo.middleware.cors", "oslo.middleware.http_proxy_to_wsgi", "oslo.limit"}, common...), nil, nil},
		{image("localhost/hotstack-os_placement"), []string{"placement/placement.conf", "placement/placement.secrets.conf"},
			append([]string{"placement.conf", "oslo.middleware.cors"}, common...), nil, nil},
		{image("localhost/hotstack-os-nova"), []string{"nova/nova.conf", "nova/nova.secrets.conf"},
			append([]string{"nova.conf", "oslo.messaging", "oslo.privsep", "oslo.service.periodic_task", "oslo.service.service",
				"oslo.db", "oslo.db.concurrency", "oslo.cache", "oslo.middleware", "oslo.concurrency", "oslo.reports",
				"oslo.versionedobjects", "os_vif", "oslo.limit", "castellan.config"}, common...), nil, nil},
		{image("localhost/hotstack-os-neutron"), []string{"neutron/neutron.conf", "neutron/neutron.secrets.conf"},
			append([]string{"neutron", "neutron.agent", "neutron.db", "neutron.extensions", "nova.auth", "ironic.auth", "oslo.db",
				"oslo.concurrency", "oslo.messaging", "oslo.middleware.cors", "oslo.middleware.http_proxy_to_wsgi",
				"oslo.service.sslutils", "oslo.service.wsgi", "oslo.service.service"}, common...), nil, nil},
		{image("localhost/hotstack-os-neutron"), []string{"neutron/plugins/ml2/ml2_conf.ini"},
			[]string{"neutron.ml2", "neutron.ml2.ovn", "oslo.log"}, nil, nil},
		{image("localhost/hotstack-os-neutron"), []string{"neutron/neutron_ovn_metadata_agent.ini", "neutron/neutron_ovn_metadata_agent.secrets.conf"},
			[]string{"neutron.ovn.metadata.agent", "neutron.ml2.ovn", "oslo.log"}, nil, nil},
		{image("localhost/hotstack-os-cinder"), []string{"cinder/cinder.conf", "cinder/cinder.secrets.conf"},
			append([]string{"cinder", "castellan.config", "os_brick", "oslo.concurrency", "oslo.db", "oslo.messaging",
				"oslo.middleware", "oslo.reports", "oslo.service.periodic_task", "oslo.service.service", "oslo.service.sslutils",
				"oslo.service.wsgi", "oslo.versionedobjects"}, common...), []string{"nfs"}, []string{"nova"}},
		{image("localhost/hotstack-os-heat"), []string{"heat/heat.conf", "heat/heat.secrets.conf"},
			append([]string{"heat.common.config", "heat.common.context", "heat.common.crypt", "heat.engine.clients.os.keystone.heat_keystoneclient",
				"heat.common.wsgi", "heat.engine.clients", "heat.engine.notification", "heat.engine.resources", "heat.api.aws.ec2token",
				"oslo.messaging", "oslo.middleware", "oslo.db", "oslo.service.service", "oslo.service.periodic_task",
				"oslo.service.sslutils"}, common...), nil, nil},
	}
}

// TestOpenStackConfigsValidate renders every OpenStack configuration of
// templates/configs as the services see it (the secrets completed with
// awkward values) and checks it with oslo-config-validator inside the
// service's own image, against the option schemas of the Debian packages
// that run it: an unknown option or section fails. It needs the images
// (`mage images`); without podman or the images it says so and skips.
//
// Every release is checked whose images exist (`mage test` builds them
// all): each release's files against its own packages, with deprecated
// options fatal, so a release's file holds only its current option names.
func TestOpenStackConfigsValidate(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman is not installed")
	}
	for _, rel := range stack.ReleaseNames() {
		t.Run(rel, func(t *testing.T) { validateRelease(t, rel) })
	}
}

func validateRelease(t *testing.T, release string) {
	rendered := renderedConfigs(t, release)
	secret := func(string) (string, bool) { return `p@ss w%rd$HOME"'\;#/:?`, true }
	for _, f := range osloFiles(release) {
		if err := exec.Command("podman", "image", "exists", f.image).Run(); err != nil {
			t.Skipf("image %s is not built (run mage images with %s=%s)", f.image, stack.ReleaseKey, release)
		}
		var merged strings.Builder
		for _, name := range f.files {
			text, ok := rendered[name]
			if !ok {
				t.Fatalf("templates/configs/%s is missing", name)
			}
			if strings.HasSuffix(name, ".secrets.conf") {
				out, skipped, err := entrypoint.RenderSecrets(name, text, secret)
				if err != nil || len(skipped) > 0 {
					t.Fatalf("%s: %v %v", name, err, skipped)
				}
				text = out
			}
			merged.WriteString(text + "\n")
		}
		text := merged.String()
		for _, b := range f.backends {
			text = strings.ReplaceAll(text, "["+b+"]", "[backend_defaults]")
		}
		var authKeys map[string][]string
		text, authKeys = cutSections(text, f.authGroups)
		t.Run(f.files[0], func(t *testing.T) {
			if len(authKeys) > 0 {
				known := keystoneauthOptions(t, f.image)
				for group, keys := range authKeys {
					for _, k := range keys {
						if !known[k] {
							t.Errorf("[%s] %s is not a keystoneauth password-plugin, session or adapter option", group, k)
						}
					}
				}
			}
			if out, err := validate(t, f, text); err != nil {
				t.Fatalf("oslo-config-validator rejects %s: %v\n%s", strings.Join(f.files, " + "), err, out)
			}
		})
	}
	// The check can fail: an option nova does not have is caught, by name.
	nova := osloFiles(release)[3]
	bad := rendered["nova/nova.conf"] + "\n[DEFAULT]\ntransport_url_host = 172.31.0.4:5672\n"
	out, err := validate(t, nova, bad)
	if err == nil || !strings.Contains(out, "DEFAULT/transport_url_host is not part of the sample config") {
		t.Fatalf("the validator accepted an unknown option (err %v):\n%s", err, out)
	}
}

// validate runs oslo-config-validator on text in f's image.
func validate(t *testing.T, f osloFile, text string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "service.conf"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	// Explicit limits: podman's defaults exceed the hard limits of hosts
	// that deny it CAP_SYS_RESOURCE (this CI's machines).
	args := []string{"run", "--rm", "--network=none", "--entrypoint=", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
		"--volume", dir + ":/check:ro", f.image, "oslo-config-validator", "--fatal-warnings", "--input-file", "/check/service.conf"}
	for _, ns := range f.namespaces {
		args = append(args, "--namespace", ns)
	}
	out, err := exec.Command("podman", args...).CombinedOutput()
	return noise().ReplaceAllString(string(out), ""), err
}

// noise drops the validator's informational lines from a report.
func noise() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^(INFO|WARNING):.*\n?`)
}

// renderedConfigs renders templates/configs with the built-in defaults
// for a release.
func renderedConfigs(t *testing.T, release string) map[string]string {
	t.Helper()
	files, err := RenderTemplates(defaultsFor(t, release), "../../templates/configs")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		out[filepath.ToSlash(f.Rel)] = string(f.Data)
	}
	return out
}

// cutSections removes the named sections from an ini text and returns the
// option names each held.
func cutSections(text string, groups []string) (string, map[string][]string) {
	keys := map[string][]string{}
	if len(groups) == 0 {
		return text, keys
	}
	var out strings.Builder
	current := ""
	for line := range strings.Lines(text) {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "[") && strings.HasSuffix(trimmed, "]") {
			current = ""
			if g := strings.Trim(trimmed, "[]"); slices.Contains(groups, g) {
				current = g
			}
		}
		if current == "" {
			out.WriteString(line)
			continue
		}
		if k, _, ok := strings.Cut(trimmed, "="); ok && !strings.HasPrefix(trimmed, "#") {
			keys[current] = append(keys[current], strings.TrimSpace(k))
		}
	}
	return out.String(), keys
}

// keystoneauthOptions are the option names keystoneauth registers for a
// password-plugin client section, read from the image's own keystoneauth.
func keystoneauthOptions(t *testing.T, image string) map[string]bool {
	t.Helper()
	script := `from keystoneauth1 import loading as l
opts = l.get_auth_plugin_conf_options("password") + l.get_session_conf_options() + l.get_adapter_conf_options() + l.get_auth_common_conf_options()
print(" ".join(sorted({o.dest for o in opts})))`
	out, err := exec.Command("podman", "run", "--rm", "--network=none", "--entrypoint=", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
		image, "python3", "-c", script).Output()
	if err != nil {
		t.Fatalf("list keystoneauth's options in %s: %v", image, err)
	}
	known := map[string]bool{}
	for _, n := range strings.Fields(string(out)) {
		known[n] = true
	}
	if !known["auth_url"] {
		t.Fatalf("keystoneauth in %s lists no auth_url: %q", image, out)
	}
	return known
}
