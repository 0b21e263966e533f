package install

import (
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/entrypoint"
	"github.com/hotstack-os/hotstack-os/internal/images"
	"github.com/hotstack-os/hotstack-os/stack"
)

// packageCommands are the health commands that packages provide rather
// than the recipes' files, and the package each needs in the image ("" for
// Debian's essential ones, in every image).
var packageCommands = map[string]string{
	"curl": "curl",
	"nc":   "netcat-openbsd",
	"sh":   "",
	"test": "",
}

// TestEveryServiceIsComplete: a service's parts live in its record
// (stack.Service), its image recipes, its start-up recipe and its
// configuration templates. This proves they agree: every file a container
// mounts or completes is rendered, every configuration file its start-up
// reads is mounted, its health command exists in its image, the users it
// runs as exist, and a container started by the entrypoint has a start-up
// recipe.
func TestEveryServiceIsComplete(t *testing.T) {
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, release := range stack.ReleaseNames() {
		cfg := defaultsFor(t, release)
		tmpl := Templates{ConfigsDir: "../../templates/configs", ScriptsDir: "../../templates/scripts"}
		files, err := ConfigFiles(cfg, tmpl)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckMounted(cfg, st, files, tmpl); err != nil {
			t.Errorf("%s: %v", release, err)
		}
		rendered := map[string]bool{}
		for _, f := range files {
			rendered[f.Path] = true
		}
		for _, svc := range st.Containers() {
			for _, s := range svc.Container.Secrets {
				if p := path.Join(RuntimeDir(cfg), "config", s); !rendered[p] {
					t.Errorf("%s: %s: secrets template %s is not rendered (%s)", release, svc.Name, s, p)
				}
			}
		}
	}

	recipes := images.Recipes(st, stack.MustRelease(stack.DefaultRelease))
	startups := entrypoint.Recipes()
	for _, svc := range st.Containers() {
		c := svc.Container
		chain, unknown := images.For(recipes, []string{c.ImageFor(stack.DefaultRelease)})
		if len(unknown) > 0 {
			t.Errorf("%s: no recipe builds %s", svc.Name, c.Image)
			continue
		}
		var inImage []string
		var packages []string
		for _, r := range chain {
			for _, f := range r.Files {
				inImage = append(inImage, f.Path)
			}
			packages = append(packages, r.Packages...)
		}

		cmd := svc.Health.Cmd[0]
		pkg, fromPackage := packageCommands[cmd]
		switch {
		case strings.Contains(cmd, "/"):
			if !slices.Contains(inImage, cmd) {
				t.Errorf("%s: health command %s is not a file of its image's recipes", svc.Name, cmd)
			}
		case slices.Contains(inImage, "/usr/local/bin/"+cmd):
		case fromPackage:
			if pkg != "" && !slices.Contains(packages, pkg) {
				t.Errorf("%s: health command %s needs package %s, which its image lacks", svc.Name, cmd, pkg)
			}
		default:
			t.Errorf("%s: health command %s is neither a file of its image's recipes nor in packageCommands", svc.Name, cmd)
		}

		if c.User != "" {
			if _, ok := stack.UserID(c.User); !ok {
				t.Errorf("%s: runs as %s, which is not an image user", svc.Name, c.User)
			}
		}

		start := svc.Start
		if start == nil {
			continue
		}
		if _, ok := startups[svc.Name]; !ok {
			t.Errorf("%s: internal/entrypoint has no start-up recipe %q", svc.Name, start.Recipe)
		}
		if start.Project != "" {
			if _, ok := stack.UserID(start.Project); !ok {
				t.Errorf("%s: its daemon runs as %s, which is not an image user", svc.Name, start.Project)
			}
		}
		for _, conf := range start.Configs {
			if !slices.ContainsFunc(c.Volumes, func(v string) bool { return strings.Split(v, ":")[1] == conf }) {
				t.Errorf("%s: its start-up reads %s, which the container does not mount", svc.Name, conf)
			}
		}
	}
}
