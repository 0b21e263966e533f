package entrypoint

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// A service's schema steps (db sync, cell mappings, keystone's bootstrap)
// are Python programs that each cost seconds of CPU, and on a warm start
// they find nothing to do. So each service records, in its own database,
// a stamp of what the steps ran with: the image's installed packages and
// the step's own inputs (region, URLs). A start that finds the same stamp
// skips them. A new image, a changed input or an empty database (purge, a
// fresh install) runs them again. The stamp lives in the database it
// describes, so a restored or recreated database can never carry another's.

// dpkgStatus lists the image's installed packages and their versions.
const dpkgStatus = "/var/lib/dpkg/status"

// stampTable is hotstack-os's own table in each service's database.
const stampTable = "hotstack_os_schema"

// schemaStamp is the stamp of the packages in dpkgStatus and inputs.
func schemaStamp(status string, inputs ...string) (string, error) {
	data, err := os.ReadFile(status)
	if err != nil {
		return "", fmt.Errorf("schema stamp: %w", err)
	}
	h := sha256.New()
	h.Write(data)
	for _, in := range inputs {
		// Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
		fmt.Fprintf(h, "\x00%d:%s", len(in), in)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Schema is a service's schema steps and what their outcome depends on.
type Schema struct {
	// Section holds the oslo.db connection of the database the stamp
	// lives in; Name is the stamp's row.
	Section, Name string
	// Inputs are the settings the steps' outcome depends on, beyond the
	// image's packages (never a secret: the stamp is a plain hash).
	Inputs []string
	// Still, when set, must also pass for the steps to be skipped: what a
	// stamp cannot hold (a password, files outside the database).
	Still func(context.Context, database) error
	Steps func(context.Context) error
}

// SchemaOnce runs s.Steps unless the stamp recorded for s.Name equals this
// image's and inputs' (and s.Still passes); once the steps succeed it
// records the stamp. Recording is best effort: a start that cannot read
// or write the stamp runs the steps, as every start did before.
func (c *Container) SchemaOnce(ctx context.Context, s Schema) error {
	stamp, err := schemaStamp(dpkgStatus, s.Inputs...)
	if err != nil {
		c.Logf("%v; running the schema steps", err)
		return s.Steps(ctx)
	}
	db, err := c.openDatabase(s.Section)
	if err != nil {
		c.Logf("schema stamp: %v; running the schema steps", err)
		return s.Steps(ctx)
	}
	return c.stampedSteps(ctx, s, db, stamp)
}

// stampedSteps is SchemaOnce once it has this start's stamp and the
// database.
func (c *Container) stampedSteps(ctx context.Context, s Schema, db database, stamp string) error {
	name := s.Name
	have, err := readStamp(ctx, db, name)
	var still error
	if err == nil && have == stamp && s.Still != nil {
		still = s.Still(ctx, db)
	}
	switch {
	case err != nil:
		c.Logf("schema stamp: %v; running the schema steps", err)
	case have == stamp && still != nil:
		c.Logf("schema steps: %v", still)
	case have == stamp:
		c.Logf("schema steps skipped: the database was set up by this image with these settings (stamp %s)", stamp[:12])
		return nil
	case have == "":
		c.Logf("schema steps: no stamp in the database yet")
	default:
		c.Logf("schema steps: the image or its settings changed (stamp %s, was %s)", stamp[:12], have[:min(12, len(have))])
	}
	if err := s.Steps(ctx); err != nil {
		return err
	}
	if err := writeStamp(ctx, db, name, stamp); err != nil {
		c.Logf("schema stamp not recorded (the next start runs the steps again): %v", err)
	}
	return nil
}

// readStamp returns name's stamp, "" when there is none (no row, or no
// table yet in a fresh database).
func readStamp(ctx context.Context, db database, name string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	row, err := db.QueryRow(ctx, "SELECT stamp FROM "+stampTable+" WHERE name = %s", name)
	var my *sqlError
	switch {
	case errors.As(err, &my) && my.Number == erNoSuchTable:
		return "", nil
	case err != nil:
		return "", err
	case len(row) == 0:
		return "", nil
	}
	return row[0], nil
}

func writeStamp(ctx context.Context, db database, name, stamp string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := db.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+stampTable+
		" (name VARCHAR(64) NOT NULL PRIMARY KEY, stamp CHAR(64) NOT NULL) ENGINE=InnoDB"); err != nil {
		return err
	}
	return db.Exec(ctx, "REPLACE INTO "+stampTable+" (name, stamp) VALUES (%s, %s)", name, stamp)
}

// openDatabase is the database of section's oslo.db connection URL, as
// its user, with the password from the URL or from the option file its
// read_default_file names (as PyMySQL reads it).
func (c *Container) openDatabase(section string) (database, error) {
	params, err := connParams(c.Conf(section, "connection"))
	if err != nil {
		return nil, fmt.Errorf("[%s] connection: %w", section, err)
	}
	return pymysqlDB{params: params, output: c.sup.Output}, nil
}

// connParams are the connection parameters of an oslo.db URL
// (mysql+pymysql://user[:password]@host[:port]/db?read_default_file=F).
// Errors never quote the URL: it may hold the password.
func connParams(raw string) (dbParams, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || !strings.HasPrefix(u.Scheme, "mysql") {
		return dbParams{}, errors.New("not a mysql:// URL with a host")
	}
	p := dbParams{Host: u.Hostname(), Port: 3306, Database: strings.TrimPrefix(u.Path, "/")}
	if port := u.Port(); port != "" {
		if p.Port, err = strconv.Atoi(port); err != nil {
			return dbParams{}, errors.New("the mysql:// URL's port is not a number")
		}
	}
	if u.User != nil {
		p.User = u.User.Username()
		p.Password, _ = u.User.Password()
	}
	if file := u.Query().Get("read_default_file"); file != "" && p.Password == "" {
		if p.Password, err = optionFilePassword(file); err != nil {
			return dbParams{}, err
		}
	}
	return p, nil
}

// optionFilePassword is the [client] password of a MySQL option file as
// PyMySQL reads it: Python's RawConfigParser (no escapes), then one pair
// of surrounding quotes stripped.
func optionFilePassword(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[' && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || section != "client" || strings.TrimSpace(key) != "password" {
			continue
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		return value, nil
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s: no password in [client]", path)
}

// passwordCurrent checks password against the newest hash Keystone keeps
// for user (in the Default domain), so keystone's bootstrap, which resets
// a changed admin password, runs only when the password did change. The
// hash is bcrypt, Keystone's default; any other says "changed".
func passwordCurrent(ctx context.Context, db database, user, password string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	row, err := db.QueryRow(ctx, "SELECT p.password_hash FROM password p JOIN local_user l ON p.local_user_id = l.id "+
		"WHERE l.name = %s AND l.domain_id = 'default' ORDER BY p.created_at_int DESC LIMIT 1", user)
	switch {
	case err != nil:
		return fmt.Errorf("%s's password hash: %w", user, err)
	case len(row) == 0:
		return fmt.Errorf("%s's password hash: none in the Default domain", user)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(row[0]), []byte(password)); err != nil {
		return fmt.Errorf("%s's password is not the one in the environment", user)
	}
	return nil
}
