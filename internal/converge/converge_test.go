package converge

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/systemd"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/units"
)

// world is a fake stack at rest: every container runs with the labels of
// its fingerprint and the image its reference names now.
type world struct {
	st       *stack.Stack
	want     map[string]units.Fingerprint
	running  map[string]systemd.Container
	imageIDs map[string]string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{st: st, want: map[string]units.Fingerprint{}, running: map[string]systemd.Container{}, imageIDs: map[string]string{}}
	for _, svc := range st.Containers() {
		fp := units.Fingerprint{Unit: "u-" + svc.Name, Image: svc.Container.ImageFor(stack.DefaultRelease), Configs: map[string]string{svc.Name + ".conf": "c1"}}
		if len(svc.Container.Secrets) > 0 {
			fp.Secrets = "s1"
		}
		w.want[svc.Name] = fp
		w.imageIDs[fp.Image] = "id-" + fp.Image
		w.running[stack.ContainerName(svc.Name)] = w.container(svc.Name, fp)
	}
	return w
}

func (w *world) container(svc string, fp units.Fingerprint) systemd.Container {
	labels := map[string]string{"io.podman.other": "x"}
	for _, l := range fp.Labels() {
		k, v, _ := strings.Cut(l, "=")
		labels[k] = v
	}
	return systemd.Container{Name: stack.ContainerName(svc), Image: fp.Image, ImageID: w.imageIDs[fp.Image], Labels: labels}
}

func (w *world) restarts() []string {
	var out []string
	for _, r := range Restarts(w.st, w.want, w.running, w.imageIDs) {
		out = append(out, r.String())
	}
	return out
}

func TestNothingChangedNothingRestarts(t *testing.T) {
	w := newWorld(t)
	if got := w.restarts(); len(got) != 0 {
		t.Fatalf("restarts on an unchanged stack: %v", got)
	}
}

func TestEachInputRestartsItsServicesOnly(t *testing.T) {
	cases := []struct {
		name   string
		change func(w *world)
		want   []string
	}{
		{"a config file", func(w *world) {
			fp := w.want["keystone"]
			fp.Configs = map[string]string{"keystone.conf": "c2"}
			w.want["keystone"] = fp
		}, []string{"keystone: keystone.conf changed"}},
		{"the unit", func(w *world) {
			fp := w.want["glance"]
			fp.Unit = "u2"
			w.want["glance"] = fp
		}, []string{"glance: unit changed"}},
		{"an image tag", func(w *world) {
			fp := w.want["nova-api"]
			fp.Image = "localhost/hotstack-os-nova:v2"
			w.want["nova-api"] = fp
			w.imageIDs[fp.Image] = "id-v2"
		}, []string{"nova-api: image changed"}},
		{"an image rebuilt under the same tag: every user", func(w *world) {
			w.imageIDs["localhost/hotstack-os-cinder:2025.1"] = "id-rebuilt"
		}, []string{"cinder-api: image changed", "cinder-scheduler: image changed", "cinder-volume: image changed"}},
		{"a secret, unit and image together", func(w *world) {
			fp := w.want["heat-engine"]
			fp.Secrets, fp.Unit = "s2", "u2"
			w.want["heat-engine"] = fp
			w.imageIDs[fp.Image] = "id-rebuilt"
		}, []string{"heat-api: image changed", "heat-engine: unit changed, image changed, secrets changed"}},
		{"a container started by an older hotstack-os", func(w *world) {
			c := w.running["hotstack-os-memcached"]
			c.Labels = nil
			w.running["hotstack-os-memcached"] = c
		}, []string{"memcached: " + Unlabelled}},
		{"a stopped container is started, not restarted", func(w *world) {
			delete(w.running, "hotstack-os-mariadb")
			fp := w.want["mariadb"]
			fp.Unit = "u2"
			w.want["mariadb"] = fp
		}, nil},
		{"the image is missing: nothing to compare", func(w *world) {
			delete(w.imageIDs, "localhost/hotstack-os-memcached:2025.1")
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			c.change(w)
			if got := w.restarts(); !slices.Equal(got, c.want) {
				t.Errorf("restarts:\n%v\nwant:\n%v", got, c.want)
			}
		})
	}
}

func TestRestartsComeInStackOrder(t *testing.T) {
	w := newWorld(t)
	for _, svc := range []string{"heat-engine", "keystone", "mariadb", "nova-compute"} {
		fp := w.want[svc]
		fp.Unit = "u2"
		w.want[svc] = fp
	}
	rs := Restarts(w.st, w.want, w.running, w.imageIDs)
	var got []string
	for _, r := range rs {
		got = append(got, r.Service)
	}
	if !slices.Equal(got, []string{"mariadb", "keystone", "nova-compute", "heat-engine"}) {
		t.Fatalf("order %v", got)
	}
	if set := Set(rs); len(set) != 4 || !set["keystone"] || slices.Collect(maps.Keys(set))[0] == "" {
		t.Fatalf("Set = %v", set)
	}
}
