package entrypoint

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// stubNova is the part of nova (and oslo.log) nova_cells.py uses: each
// call is logged to $STUB_LOG; $STUB_CELLS names the cells that exist
// ("name=uuid,..."), and $STUB_FAIL a step that returns status 2.
var stubNova = map[string]string{
	"nova/__init__.py":     "",
	"nova/cmd/__init__.py": "",
	"nova/stub.py": `import json, os


def log(*what):
    with open(os.environ["STUB_LOG"], "a") as f:
        f.write(json.dumps(what) + "\n")


def status(name):
    return 2 if os.environ.get("STUB_FAIL") == name else 0
`,
	"nova/config.py": `from nova.stub import log
CONF = object()


def parse_args(argv):
    log("parse_args", argv)
`,
	"nova/context.py": "def get_admin_context():\n    return 'ctx'\n",
	"nova/rpc.py":     "from nova.stub import log\n\n\ndef cleanup():\n    log('rpc.cleanup')\n",
	"nova/objects.py": `import os
from nova.stub import log


def register_all():
    log("register_all")


class Mapping:
    def __init__(self, name, uuid):
        self.name, self.uuid = name, uuid


class CellMappingList:
    @staticmethod
    def get_all(ctx):
        cells = os.environ.get("STUB_CELLS", "")
        return [Mapping(*c.split("=")) for c in cells.split(",") if c]
`,
	"nova/cmd/manage.py": `from nova.stub import log, status


class ApiDbCommands:
    def sync(self):
        log("api_db sync")
        return status("api_db sync")


class DbCommands:
    def sync(self):
        log("db sync")
        return status("db sync")


class CellV2Commands:
    def map_cell0(self):
        log("map_cell0")
        return status("map_cell0")

    def create_cell(self, **kw):
        log("create_cell", kw)
        return status("create_cell")

    def update_cell(self, **kw):
        log("update_cell", kw)
        return status("update_cell")
`,
	"oslo_log/__init__.py": "",
	"oslo_log/log.py":      "from nova.stub import log as _log\n\n\ndef setup(conf, project):\n    _log('logging.setup', project)\n",
}

// TestNovaCellsProgramRunsNovaManagesSteps runs nova_cells.py against a
// stub nova: nova-manage's steps in its order, with the configuration
// options and the request as given; an existing cell1 updated, not
// created again; a failed step stops the rest with its status.
func TestNovaCellsProgramRunsNovaManagesSteps(t *testing.T) {
	python := python3(t)
	dir := t.TempDir()
	for name, src := range stubNova {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const transport = "rabbit://{username}:{password}@rabbitmq:5672/"
	stdin, err := embeddedPythonStdin(novaCellsProgram, map[string]string{"cell": "cell1", "transport_url": transport})
	if err != nil {
		t.Fatal(err)
	}
	argv := embeddedPython("nova_cells.py", oslo("nova", "/etc/nova/nova.conf")...)
	run := func(env ...string) (calls []string, out string, code int) {
		t.Helper()
		stubLog := filepath.Join(dir, "log")
		_ = os.Remove(stubLog)
		// -I would leave out PYTHONPATH, which brings the stub.
		args := slices.DeleteFunc(slices.Clone(argv[1:]), func(a string) bool { return a == "-I" })
		cmd := exec.Command(python, args...)
		cmd.Env = append([]string{"PYTHONPATH=" + dir, "STUB_LOG=" + stubLog}, env...)
		cmd.Stdin = strings.NewReader(stdin)
		b, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(stubLog)
		return strings.Split(strings.TrimSpace(string(data)), "\n"), string(b), code
	}
	head := []string{
		`["parse_args", ["nova-manage", "--config-file", "/etc/nova/nova.conf", "--config-dir", "/etc/nova/nova.conf.d"]]`,
		`["logging.setup", "nova"]`, `["register_all"]`, `["api_db sync"]`, `["map_cell0"]`}
	tail := []string{`["db sync"]`, `["rpc.cleanup"]`}

	calls, out, code := run()
	want := slices.Concat(head, []string{`["create_cell", {"name": "cell1", "transport_url": "` + transport + `"}]`}, tail)
	if code != 0 || !slices.Equal(calls, want) {
		t.Errorf("a fresh database: status %d, calls\n%s\nwant\n%s\n%s", code, strings.Join(calls, "\n"), strings.Join(want, "\n"), out)
	}

	calls, out, code = run("STUB_CELLS=cell0=00000000-0000-0000-0000-000000000000,cell1=5b0e8a4c")
	want = slices.Concat(head, []string{`["update_cell", {"cell_uuid": "5b0e8a4c", "transport_url": "` + transport + `"}]`}, tail)
	if code != 0 || !slices.Equal(calls, want) {
		t.Errorf("cell1 exists: status %d, calls\n%s\nwant\n%s\n%s", code, strings.Join(calls, "\n"), strings.Join(want, "\n"), out)
	}

	calls, out, code = run("STUB_FAIL=map_cell0")
	if code != 2 || !slices.Equal(calls, head) || !strings.Contains(out, "nova-manage cell_v2 map_cell0 failed with status 2") {
		t.Errorf("a failed step: status %d (want 2), calls\n%s\n%s", code, strings.Join(calls, "\n"), out)
	}
}
