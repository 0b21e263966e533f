package entrypoint

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// python3 is the host's python3, or the test is skipped: the containers
// have theirs, the host need not.
func python3(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 on this host")
	}
	return path
}

func TestPyMySQLProgramIsPython(t *testing.T) {
	python := python3(t)
	for name, src := range map[string]string{"sql_statement.py": pymysqlProgram, "the command line's": pymysqlArgv[len(pymysqlArgv)-1]} {
		cmd := exec.Command(python, "-I", "-c", "import ast, sys; ast.parse(sys.stdin.read())")
		cmd.Stdin = strings.NewReader(src)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s program does not parse: %v\n%s", name, err, out)
		}
	}
}

// stubPyMySQL is a pymysql module that records what the program asks of
// it, in $STUB_LOG, and answers as PyMySQL does: host "down" cannot be
// reached, host "fresh" has no table, a SELECT of user "nobody" no row.
const stubPyMySQL = `import json, os


class Error(Exception):
    pass


class OperationalError(Error):
    pass


class ProgrammingError(Error):
    pass


def log(*what):
    with open(os.environ["STUB_LOG"], "a") as f:
        f.write(json.dumps(what) + "\n")


def connect(**kwargs):
    log("connect", kwargs)
    if kwargs["host"] == "down":
        raise OperationalError(2003, "Can't connect to MySQL server on 'down' ([Errno 111] Connection refused)")
    return Connection(kwargs["host"])


class Connection:
    def __init__(self, host):
        self.host = host

    def cursor(self):
        return Cursor(self.host)

    def close(self):
        log("close")
        raise Error("Already closed")  # the answer must stand


class Cursor:
    description = None
    row = None

    def __init__(self, host):
        self.host = host

    def execute(self, query, args):
        log("execute", query, args)
        if self.host == "fresh":
            raise ProgrammingError(1146, "Table 'keystone.hotstack_os_schema' doesn't exist")
        if query.startswith("SELECT"):
            self.description = (("a",), ("b",), ("c",), ("d",))
            if args[0] != "nobody":
                self.row = (args[0], "h\u00e9".encode(), None, 7)

    def fetchone(self):
        return self.row
`

// TestPyMySQLProgramWithAStubDriver runs the program through the
// container's Supervisor, with a stub PyMySQL: the connection and the
// statement reach the driver as given, the password never on the command
// line nor in the environment, and rows and errors come back.
func TestPyMySQLProgramWithAStubDriver(t *testing.T) {
	python3(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pymysql.py"), []byte(stubPyMySQL), 0o644); err != nil {
		t.Fatal(err)
	}
	stubLog := filepath.Join(dir, "log")
	sup, _ := testSupervisor(t, time.Minute)
	const password = `p"a\s's%w{rd} $x`
	output := func(ctx context.Context, p Proc) (string, error) {
		if !slices.Equal(p.Argv, pymysqlArgv) || slices.ContainsFunc(p.Env, func(e string) bool { return strings.Contains(e, password) }) {
			t.Errorf("the command line or environment changed: %q %q", p.Argv, p.Env)
		}
		// -I would leave out PYTHONPATH, which brings the stub.
		p.Argv = slices.DeleteFunc(slices.Clone(p.Argv), func(a string) bool { return a == "-I" })
		p.Env = []string{"PYTHONPATH=" + dir, "STUB_LOG=" + stubLog}
		return sup.Output(ctx, p)
	}
	// calls returns what the stub was asked since the last call.
	calls := func() []string {
		data, _ := os.ReadFile(stubLog)
		_ = os.Remove(stubLog)
		return strings.Split(strings.TrimSpace(string(data)), "\n")
	}
	ctx := context.Background()
	db := pymysqlDB{params: dbParams{Host: "db", Port: 3307, User: "keystone", Password: password, Database: "keystone"}, output: output}

	row, err := db.QueryRow(ctx, "SELECT a, b, c, d FROM t WHERE name = %s", "keystone")
	if want := []string{"keystone", "hé", "", "7"}; err != nil || !slices.Equal(row, want) {
		t.Errorf("a row: got %q, %v; want %q", row, err, want)
	}
	got := calls()
	var connect []json.RawMessage // ["connect", {kwargs}]
	var kwargs map[string]any
	if len(got) != 3 || json.Unmarshal([]byte(got[0]), &connect) != nil || len(connect) != 2 || json.Unmarshal(connect[1], &kwargs) != nil {
		t.Fatalf("the stub was asked %q", got)
	}
	want := map[string]any{"host": "db", "port": 3307.0, "user": "keystone", "password": password, "database": "keystone",
		"charset": "utf8mb4", "connect_timeout": 10.0, "autocommit": true}
	for k, v := range want {
		if kwargs[k] != v {
			t.Errorf("connect's %s: got %#v, want %#v", k, kwargs[k], v)
		}
	}
	if want := `["execute", "SELECT a, b, c, d FROM t WHERE name = %s", ["keystone"]]`; got[1] != want || got[2] != `["close"]` {
		t.Errorf("the statement: got %q, want %q and a close", got[1:], want)
	}

	if row, err := db.QueryRow(ctx, "SELECT a FROM t WHERE name = %s", "nobody"); err != nil || row != nil {
		t.Errorf("no row: got %q, %v", row, err)
	}
	calls()
	if err := db.Exec(ctx, "CREATE TABLE IF NOT EXISTS t (a INT)"); err != nil {
		t.Errorf("a statement without rows: %v", err)
	}
	// No arguments go as None, so PyMySQL leaves the query's % alone.
	if got := calls(); len(got) != 3 || got[1] != `["execute", "CREATE TABLE IF NOT EXISTS t (a INT)", null]` {
		t.Errorf("the stub was asked %q", got)
	}

	fresh, down := db, db
	fresh.params.Host, down.params.Host = "fresh", "down"
	if stamp, err := readStamp(ctx, fresh, "keystone"); err != nil || stamp != "" {
		t.Errorf("no stamp table: got %q, %v; want no stamp", stamp, err)
	}
	var my *sqlError
	_, err = readStamp(ctx, down, "keystone")
	if !errors.As(err, &my) || my.Number != 2003 || strings.Contains(err.Error(), password) {
		t.Errorf("an unreachable server: %v", err)
	}
}

// TestPyMySQLProgramWithPyMySQL: where the host has PyMySQL, the program
// gives the real driver's error number for a port nobody listens on. No
// database is started.
func TestPyMySQLProgramWithPyMySQL(t *testing.T) {
	python := python3(t)
	if err := exec.Command(python, "-I", "-c", "import pymysql").Run(); err != nil {
		t.Skip("no PyMySQL on this host")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	sup, _ := testSupervisor(t, time.Minute)
	db := pymysqlDB{params: dbParams{Host: "127.0.0.1", Port: port, User: "nobody", Password: "x", Database: "none"}, output: sup.Output}
	_, err = db.QueryRow(context.Background(), "SELECT stamp FROM "+stampTable+" WHERE name = %s", "keystone")
	var my *sqlError
	if !errors.As(err, &my) || my.Number != 2003 {
		t.Errorf("a closed port: %v, want MySQL error 2003", err)
	}
}
