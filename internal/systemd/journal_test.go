package systemd

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

func TestFormat(t *testing.T) {
	cases := map[string]string{
		`{"__REALTIME_TIMESTAMP":"1700000000123456","_SYSTEMD_UNIT":"hotstack-os-keystone.service","MESSAGE":"standin: keystone ready"}`:     "keystone           | standin: keystone ready",
		`{"__REALTIME_TIMESTAMP":"1700000000123456","_SYSTEMD_UNIT":"init.scope","UNIT":"hotstack-os-nova-api.service","MESSAGE":"Started"}`: "nova-api           | Started",
		`{"__REALTIME_TIMESTAMP":"1700000000123456","_SYSTEMD_UNIT":"hotstack-os-glance.service","MESSAGE":[104,105]}`:                       "glance             | hi",
	}
	for in, want := range cases {
		got, ok := FormatEntry([]byte(in))
		if !ok || got[13:] != want {
			t.Errorf("FormatEntry(%s) = %q, want suffix %q", in, got, want)
		}
	}
	if _, ok := FormatEntry([]byte("-- No entries --")); ok {
		t.Error("non-JSON line formatted")
	}
}

func TestFollowStreamsThroughTheSeam(t *testing.T) {
	if !JournalAvailable() {
		t.Skip("no journal on this machine")
	}
	fake := &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		// Two writes that split an entry, as a pipe may.
		_, _ = c.Stdout.Write([]byte(`{"__REALTIME_TIMESTAMP":"1700000000000000","_SYSTEMD_UNIT":"hotstack-os-heat-api.service","MESSAGE":"one"}` + "\n" +
			`{"__REALTIME_TIMESTAMP":"1700000000000001","_SYSTEMD_UNIT":"hotstack-os-mariadb.service",`))
		_, _ = c.Stdout.Write([]byte(`"MESSAGE":"two"}` + "\n"))
		return execx.Result{}, nil
	}}
	var out bytes.Buffer
	if err := Follow(context.Background(), fake, &out, FollowOptions{Units: []string{"hotstack-os-*"}, Lines: 5}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !bytes.Contains(out.Bytes(), []byte("heat-api           | one\n")) || !bytes.Contains(out.Bytes(), []byte("mariadb            | two\n")) {
		t.Fatalf("got %q", got)
	}
}

func TestFollowSaysWhatIsWrong(t *testing.T) {
	silent := &execx.Fake{Handler: func(context.Context, execx.Command) (execx.Result, error) { return execx.Result{}, nil }}
	var out, notes bytes.Buffer
	dirs := []string{t.TempDir()}
	// No journal at all.
	err := Follow(context.Background(), silent, &out, FollowOptions{Units: []string{"x.service"}, JournalDirs: []string{"/nonexistent/journal"}})
	if !errors.Is(err, ErrNoJournal) || !strings.Contains(err.Error(), "no systemd journal on this host") {
		t.Fatalf("no journal: %v", err)
	}
	// A unit that never logged: said, not a silent wait.
	err = Follow(context.Background(), silent, &out, FollowOptions{Units: []string{"hotstack-os-keystone.service"}, JournalDirs: dirs, Notes: &notes})
	if err != nil || !strings.Contains(notes.String(), "hotstack-os-keystone.service has no journal entries yet (has it ever run?)") {
		t.Fatalf("never logged: %v %q", err, notes.String())
	}
	// journalctl itself failing: said in words, with its own message.
	broken := &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		return execx.Result{}, &execx.Error{Cmd: c, ExitCode: 1, Stderr: "Failed to open journal: Permission denied"}
	}}
	err = Follow(context.Background(), broken, &out, FollowOptions{Units: []string{"x.service"}, JournalDirs: dirs, Notes: &notes})
	if err == nil || !strings.HasPrefix(err.Error(), "read the journal: ") || !strings.Contains(err.Error(), "Permission denied") {
		t.Fatalf("broken journalctl: %v", err)
	}
}
