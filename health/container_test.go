package health

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// podmanFake answers podman exec with execErr and podman inspect with state.
func podmanFake(execErr error, state string, inspectErr error) *execx.Fake {
	return &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		args := strings.Join(c.Args, " ")
		switch {
		case strings.Contains(args, " exec "):
			return execx.Result{Stderr: []byte("probe output")}, execErr
		case strings.Contains(args, " inspect "):
			return execx.Result{Stdout: []byte(state)}, inspectErr
		}
		return execx.Result{}, nil
	}}
}

func exitErr(code int, stderr string) error {
	return &execx.Error{ExitCode: code, Stderr: stderr, Err: errors.New("exit status")}
}

func TestContainerProbe(t *testing.T) {
	cases := []struct {
		name                string
		fake                *execx.Fake
		healthy, permanent  bool
		wantOutputSubstring string
	}{
		{"healthy", podmanFake(nil, "", nil), true, false, "probe output"},
		{"command fails: not yet", podmanFake(exitErr(1, ""), "running 0", nil), false, false, "probe output"},
		{"exited: permanent", podmanFake(exitErr(125, "container state improper"), "exited 1", nil), false, true, "has exited with code 1"},
		{"not created yet: transient", podmanFake(exitErr(125, "no such container"), "", exitErr(125, "Error: no such container x")), false, false, "does not exist"},
		{"starting: transient", podmanFake(exitErr(125, "improper"), "created 0", nil), false, false, "probe output"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Container{Runner: tc.fake, Name: "hotstack-os-x", Cmd: []string{"true"}}.Probe(context.Background())
			if r.Healthy != tc.healthy || r.Permanent != tc.permanent || !strings.Contains(r.Output, tc.wantOutputSubstring) {
				t.Fatalf("got %+v", r)
			}
		})
	}
}

func TestContainerProbeSeesMainPIDExit(t *testing.T) {
	r := Container{Runner: podmanFake(nil, "", nil), Name: "x", MainPID: exitedPID(t)}.Probe(context.Background())
	if !r.Permanent || !strings.Contains(r.Output, "has exited") {
		t.Fatalf("got %+v", r)
	}
}
