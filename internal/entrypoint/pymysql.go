package entrypoint

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
)

// database is what the schema stamps need of a service's database: one
// statement at a time, its arguments (%s in the query) bound by the driver.
// The recipes get a pymysqlDB; the tests, a fake.
type database interface {
	// QueryRow returns the first row the query yields, nil when none.
	QueryRow(ctx context.Context, query string, args ...string) ([]string, error)
	// Exec runs a statement that yields no rows.
	Exec(ctx context.Context, query string, args ...string) error
}

// erNoSuchTable is MySQL's ER_NO_SUCH_TABLE: a database the schema steps
// have not stamped yet.
const erNoSuchTable = 1146

// sqlError is an error MySQL, or PyMySQL talking to it, reported.
type sqlError struct {
	// Number is the MySQL error number (erNoSuchTable, 2003: cannot
	// connect), 0 for any other failure.
	Number  int    `json:"number"`
	Message string `json:"message"`
}

func (e *sqlError) Error() string {
	if e.Number == 0 {
		return e.Message
	}
	return fmt.Sprintf("MySQL error %d: %s", e.Number, e.Message)
}

// dbParams are a connection's parameters, named as pymysql.connect names
// them.
type dbParams struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	User     string `json:"user"`
	Password string `json:"password"`
	Database string `json:"database"`
}

// pymysqlProgram runs one statement with PyMySQL (see its header): the
// images of every service with a schema stamp (openstack-common's) have
// python3 and python3-pymysql, as the services use them. A MySQL client in
// Go would cost the helper, which every container mounts, 2.5 MB
// (crypto/tls and x509 with it); python3's start, a tenth of a second, is
// paid once or twice per container start.
//
//go:embed sql_statement.py
var pymysqlProgram string

// pymysqlArgv reads the program from the first line of its standard input
// and runs it; the request follows. So the command line stays short and
// fixed (what ps and an error show), and holds no secret. -I: no PYTHON*
// variable, user site or working directory changes what runs.
var pymysqlArgv = embeddedPython("sql_statement.py")

// embeddedPython is the command line that runs one of the entrypoint's
// embedded Python programs (file names it in tracebacks) with args: the
// program comes as a JSON string on the first line of standard input.
func embeddedPython(file string, args ...string) []string {
	return append([]string{"python3", "-I", "-c",
		`import json, sys; exec(compile(json.loads(sys.stdin.readline()), "hotstack-os/` + file + `", "exec"))`}, args...)
}

// embeddedPythonStdin is the standard input of an embeddedPython
// command: the program, then the request as one line of JSON.
func embeddedPythonStdin(program string, request any) (string, error) {
	prog, err := json.Marshal(program)
	if err != nil {
		return "", err
	}
	req, err := json.Marshal(request)
	if err != nil {
		return "", err
	}
	return string(prog) + "\n" + string(req) + "\n", nil
}

// pymysqlDB runs each statement with python3 and PyMySQL, as the user of
// the service's database connection.
type pymysqlDB struct {
	params dbParams
	// output runs a process and returns its standard output: the
	// container's Supervisor.Output.
	output func(context.Context, Proc) (string, error)
}

func (d pymysqlDB) QueryRow(ctx context.Context, query string, args ...string) ([]string, error) {
	return d.statement(ctx, query, args)
}

func (d pymysqlDB) Exec(ctx context.Context, query string, args ...string) error {
	_, err := d.statement(ctx, query, args)
	return err
}

func (d pymysqlDB) statement(ctx context.Context, query string, args []string) ([]string, error) {
	stdin, err := embeddedPythonStdin(pymysqlProgram, struct {
		Connect dbParams `json:"connect"`
		Query   string   `json:"query"`
		// nil (null) when there are none: PyMySQL then leaves the query
		// as it is, with no %-formatting.
		Args []string `json:"args"`
	}{d.params, query, args})
	if err != nil {
		return nil, err
	}
	// The password goes on standard input, with the request.
	out, err := d.output(ctx, Proc{Argv: pymysqlArgv, Stdin: stdin})
	if err != nil {
		return nil, fmt.Errorf("PyMySQL: %w", err)
	}
	var answer struct {
		Row   []string  `json:"row"` // a NULL value reads as ""
		Error *sqlError `json:"error"`
	}
	// Never quote the answer: it may hold a password hash.
	if err := json.Unmarshal([]byte(out), &answer); err != nil {
		return nil, fmt.Errorf("PyMySQL's answer is not JSON: %w", err)
	}
	if answer.Error != nil {
		return nil, answer.Error
	}
	return answer.Row, nil
}
