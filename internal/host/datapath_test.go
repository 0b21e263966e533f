package host

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// TestResolveDatapath: auto picks the kernel datapath only where the
// module is loaded or installed, falls back to netdev and says so; an
// explicit system on a host without the module stops with the fix.
func TestResolveDatapath(t *testing.T) {
	modules := t.TempDir()
	old := SysModuleDir
	SysModuleDir = modules
	t.Cleanup(func() { SysModuleDir = old })

	modprobe := func(installed bool) *execx.Fake {
		return &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
			if c.Name != "modprobe" || !strings.Contains(strings.Join(c.Args, " "), "--dry-run") {
				t.Errorf("datapath detection ran %s: it must only read", c)
			}
			if installed {
				return execx.Result{}, nil
			}
			return execx.Result{}, errors.New("exit status 1")
		}}
	}
	cases := []struct {
		name, want        string
		loaded, installed bool
		got, err, said    string
	}{
		{name: "auto without the module", want: "auto", got: "netdev", said: "userspace datapath (netdev)"},
		{name: "auto with the module installed", want: "auto", installed: true, got: "system"},
		{name: "auto with the module loaded", want: "auto", loaded: true, got: "system"},
		{name: "netdev asks nothing", want: "netdev", got: "netdev"},
		{name: "system without the module", want: "system", err: "set OVS_DATAPATH_TYPE=netdev"},
		{name: "system with the module", want: "system", installed: true, got: "system"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.RemoveAll(filepath.Join(modules, "openvswitch"))
			if c.loaded {
				if err := os.Mkdir(filepath.Join(modules, "openvswitch"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			var logs bytes.Buffer
			h := &Host{Runner: modprobe(c.installed), Log: zerolog.New(&logs)}
			got, err := h.resolveDatapath(context.Background(), c.want)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want it to say %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.got {
				t.Fatalf("resolveDatapath(%s) = %q, %v; want %q", c.want, got, err, c.got)
			}
			if c.said != "" && !strings.Contains(logs.String(), c.said) {
				t.Errorf("the fallback was not said: %q", logs.String())
			}
			if c.said == "" && logs.Len() > 0 {
				t.Errorf("said %q", logs.String())
			}
		})
	}
}
