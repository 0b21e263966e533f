package entrypoint

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/retry"
)

// InitScripts is where the MariaDB image contract puts SQL set-up scripts
// (as the upstream image's docker-entrypoint-initdb.d).
const InitScripts = "/docker-entrypoint-initdb.d"

const mysqlSocket = "/run/mysqld/mysqld.sock"

// mariadb initialises the data directory on first start, starts the
// server, and then, on every start, runs the set-up scripts (databases,
// the shared user and its current password) over the local socket as root.
func mariadb(ctx context.Context, c *Container) error {
	// The data directory's mode is the one host setup gives it (0750),
	// so that a start makes no drift for `mage plan` to report.
	for d, mode := range map[string]os.FileMode{"/var/lib/mysql": 0o750, "/run/mysqld": 0o755} {
		if err := Own(d, "mysql", mode); err != nil {
			return err
		}
	}
	if _, err := os.Stat("/var/lib/mysql/mysql"); errors.Is(err, os.ErrNotExist) {
		if err := c.Run(ctx, Proc{Argv: []string{"mariadb-install-db", "--user=mysql", "--datadir=/var/lib/mysql",
			"--skip-test-db", "--auth-root-authentication-method=socket"}}); err != nil {
			return err
		}
	}
	server := Proc{Argv: append([]string{"mariadbd", "--user=mysql", "--datadir=/var/lib/mysql", "--bind-address=" + listenAddresses(c, "127.0.0.1"),
		"--skip-name-resolve", "--socket=" + mysqlSocket}, c.Args...)}
	return c.Serve(ctx, func(ctx context.Context) error {
		if err := waitSocket(ctx, c, mysqlSocket); err != nil {
			return err
		}
		scripts, _ := filepath.Glob(filepath.Join(InitScripts, "*.sh"))
		for _, s := range scripts {
			if err := c.Run(ctx, Proc{Argv: []string{"bash", s}, Env: []string{"MYSQL_UNIX_PORT=" + mysqlSocket}}); err != nil {
				return err
			}
		}
		if len(scripts) == 0 {
			c.Logf("no set-up scripts in %s", InitScripts)
		}
		return nil
	}, server)
}

// ListenVar is the container variable that names the container's own
// address, for services told to listen there rather than on 0.0.0.0.
const ListenVar = "LISTEN_IP"

// listenAddresses is the container's own address (ListenVar) after extra
// (comma-separated, as mariadbd takes them); 0.0.0.0 when the variable is
// not set.
func listenAddresses(c *Container, extra ...string) string {
	ip, ok := c.env(ListenVar)
	if !ok || ip == "" {
		return "0.0.0.0"
	}
	return strings.Join(append(extra, ip), ",")
}

// waitSocket waits for a unix socket to accept connections.
func waitSocket(ctx context.Context, c *Container, path string) error {
	err := retry.Do(ctx, retry.Every(200*time.Millisecond, dependencyTimeout), func(context.Context) error {
		conn, err := net.Dial("unix", path)
		if err == nil {
			conn.Close()
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("%s did not accept connections: %w", path, err)
	}
	return nil
}

// waitSBGlobal waits until ovn-northd has written the southbound
// database's SB_Global row. ovn-controller of this release dereferences
// that row unchecked and dies of SIGSEGV when it connects to a fresh
// database before northd has filled it in, a race a fast machine's first
// start loses.
func waitSBGlobal(ctx context.Context, c *Container, sb string) error {
	err := retry.Do(ctx, retry.Every(250*time.Millisecond, dependencyTimeout), func(ctx context.Context) error {
		_, err := c.sup.Output(ctx, Proc{Argv: []string{"ovn-sbctl", "--db=unix:" + sb, "--timeout=5", "get", "SB_Global", ".", "nb_cfg"}})
		return err
	})
	if err != nil {
		return fmt.Errorf("ovn-northd did not initialize the southbound database (no SB_Global row): %w", err)
	}
	return nil
}

// rabbitmq starts the broker, then makes the OpenStack user exist with the
// current password and full rights on "/", and removes the guest user.
// Passwords reach rabbitmqctl on its standard input only.
func rabbitmq(ctx context.Context, c *Container) error {
	if err := Own("/var/lib/rabbitmq", "rabbitmq", 0o750); err != nil {
		return err
	}
	user, pass := c.Env("RABBITMQ_DEFAULT_USER"), c.Env("RABBITMQ_DEFAULT_PASS")
	if user == "" || pass == "" {
		return errors.New("RABBITMQ_DEFAULT_USER and RABBITMQ_DEFAULT_PASS must be in the container environment")
	}
	// The node imports its user at boot (rabbitmq.conf's load_definitions),
	// on every start, so the password is always today's. It opens its
	// listeners only once booted, definitions included: the AMQP port is
	// the readiness signal, and no rabbitmqctl runs (each costs an Erlang
	// VM's start, about a CPU-second here). Definitions imported at boot
	// also keep the node from creating its default user, guest.
	defs, err := bootDefinitions(rabbitmqConf)
	if err != nil {
		return err
	}
	if err := writeUserDefinitions(defs, user, pass); err != nil {
		return err
	}
	return c.Serve(ctx, func(ctx context.Context) error {
		// The node has read the file; only its hash was in it, but
		// nothing needs it any longer.
		defer os.Remove(defs)
		return c.WaitTCP(ctx, "RabbitMQ's AMQP listener", net.JoinHostPort("127.0.0.1", rabbitmqPort))
	}, Proc{Argv: []string{"rabbitmq-server"}})
}

// RabbitMQ's configuration file (templates/configs/rabbitmq) and its AMQP
// port (its listeners.tcp.default).
const (
	rabbitmqConf = "/etc/rabbitmq/rabbitmq.conf"
	rabbitmqPort = "5672"
)

// bootDefinitions is the load_definitions file conf names: where the node
// reads its definitions at boot.
func bootDefinitions(conf string) (string, error) {
	data, err := os.ReadFile(conf)
	if err != nil {
		return "", err
	}
	for i, line := range strings.Split(string(data), "\n") {
		key, value, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(key) != "load_definitions" {
			continue
		}
		if v := strings.TrimSpace(value); filepath.IsAbs(v) {
			return v, nil
		}
		return "", fmt.Errorf("%s:%d: load_definitions must be an absolute path", conf, i+1)
	}
	return "", fmt.Errorf("%s has no load_definitions: the node would not get its user", conf)
}

// writeUserDefinitions writes path: the definitions of user with password
// (its salted hash only), readable by the broker's user alone.
func writeUserDefinitions(path, user, password string) error {
	defs, err := userDefinitions(user, password, rand.Reader)
	if err != nil {
		return err
	}
	if err := Own(filepath.Dir(path), "rabbitmq", 0o700); err != nil {
		return err
	}
	cred, err := credential("rabbitmq")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".definitions-*") // 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	err = f.Chown(int(cred.Uid), int(cred.Gid))
	if err == nil {
		_, err = f.Write(defs)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("RabbitMQ's definitions: %w", err)
	}
	return nil
}

// userDefinitions are RabbitMQ definitions of one user with password and
// full permissions on "/", and of "/" itself. The hash is RabbitMQ's
// rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++
// password)), with a 4-byte random salt.
func userDefinitions(user, password string, random io.Reader) ([]byte, error) {
	salt := make([]byte, 4)
	if _, err := io.ReadFull(random, salt); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append(slices.Clone(salt), password...))
	type userDef struct {
		Name             string `json:"name"`
		PasswordHash     string `json:"password_hash"`
		HashingAlgorithm string `json:"hashing_algorithm"`
		Tags             string `json:"tags"`
	}
	type permission struct {
		User      string `json:"user"`
		Vhost     string `json:"vhost"`
		Configure string `json:"configure"`
		Write     string `json:"write"`
		Read      string `json:"read"`
	}
	type vhost struct {
		Name string `json:"name"`
	}
	// The default virtual host is declared too: a node that imports
	// definitions at its first boot creates no default vhost (nor user),
	// and refuses permissions on a vhost that does not exist.
	return json.Marshal(struct {
		Users       []userDef    `json:"users"`
		Vhosts      []vhost      `json:"vhosts"`
		Permissions []permission `json:"permissions"`
	}{
		Users: []userDef{{Name: user, PasswordHash: base64.StdEncoding.EncodeToString(append(salt, sum[:]...)),
			HashingAlgorithm: "rabbit_password_hashing_sha256"}},
		Vhosts:      []vhost{{Name: "/"}},
		Permissions: []permission{{User: user, Vhost: "/", Configure: ".*", Write: ".*", Read: ".*"}},
	})
}

// OVN's files, shared by the northd and controller containers through the
// ovn-run data directory.
const (
	ovnRun = "/run/ovn"
	ovnLib = "/var/lib/ovn"
)

// ovnNorthd runs the northbound and southbound databases (created on first
// start, converted after an OVN upgrade) and ovn-northd between them.
func ovnNorthd(ctx context.Context, c *Container) error {
	for _, d := range []string{ovnRun, ovnLib} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var procs []Proc
	for _, db := range []struct{ name, schema, port string }{
		{"ovnnb_db", "/usr/share/ovn/ovn-nb.ovsschema", "6641"},
		{"ovnsb_db", "/usr/share/ovn/ovn-sb.ovsschema", "6642"},
	} {
		file := filepath.Join(ovnLib, db.name+".db")
		if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
			if err := c.Run(ctx, Proc{Argv: []string{"ovsdb-tool", "create", file, db.schema}}); err != nil {
				return err
			}
		} else if err := c.sup.Run(ctx, Proc{Argv: []string{"ovsdb-tool", "needs-conversion", file, db.schema}}); err == nil {
			if err := c.Run(ctx, Proc{Argv: []string{"ovsdb-tool", "convert", file, db.schema}}); err != nil {
				return err
			}
		}
		// The run directory outlives the container: a pid file left by
		// the previous one could name a process of this one.
		removeStale(db.name+".pid", db.name+".ctl", db.name+".sock")
		procs = append(procs, Proc{Argv: []string{"ovsdb-server", file,
			"--remote=punix:" + filepath.Join(ovnRun, db.name+".sock"), "--remote=ptcp:" + db.port + ":" + listenAddresses(c),
			"--pidfile=" + filepath.Join(ovnRun, db.name+".pid"), "--unixctl=" + filepath.Join(ovnRun, db.name+".ctl"),
			"-vconsole:info", "-vsyslog:off", "-vfile:off"}})
	}
	removeStale("ovn-northd.pid", "ovn-northd.ctl")
	northd := Proc{Argv: []string{"ovn-northd", "--ovnnb-db=unix:" + filepath.Join(ovnRun, "ovnnb_db.sock"),
		"--ovnsb-db=unix:" + filepath.Join(ovnRun, "ovnsb_db.sock"), "--pidfile=" + filepath.Join(ovnRun, "ovn-northd.pid"),
		"--unixctl=" + filepath.Join(ovnRun, "ovn-northd.ctl"), "-vconsole:info", "-vsyslog:off", "-vfile:off"}}
	// ovn-northd is the main process; it connects to the databases as
	// soon as they answer, retrying until then.
	return c.Serve(ctx, nil, append([]Proc{northd}, procs...)...)
}

func removeStale(names ...string) {
	for _, n := range names {
		_ = os.Remove(filepath.Join(ovnRun, n))
	}
}

// ovnController points the host's Open vSwitch at the southbound database
// (through the socket the northd container shares), names this chassis,
// and runs ovn-controller on the integration bridge.
func ovnController(ctx context.Context, c *Container) error {
	encap, chassis := c.Env("OVN_ENCAP_IP"), c.Env("CHASSIS_HOSTNAME")
	if encap == "" || chassis == "" {
		return errors.New("OVN_ENCAP_IP and CHASSIS_HOSTNAME must be in the container environment")
	}
	sb := filepath.Join(ovnRun, "ovnsb_db.sock")
	if err := waitSocket(ctx, c, sb); err != nil {
		return err
	}
	if err := waitSBGlobal(ctx, c, sb); err != nil {
		return err
	}
	// os-vif (nova-compute) re-creates the integration bridge with the
	// "system" datapath whenever it plugs a port, because neutron's OVN
	// driver of this release does not pass the datapath type on. Naming
	// the bridge's datapath here makes ovn-controller put it back at once,
	// which a host without the openvswitch kernel module (netdev) needs.
	datapath, err := c.sup.Output(ctx, Proc{Argv: []string{"ovs-vsctl", "--timeout=10", "get", "bridge", "hot-int", "datapath_type"}})
	if err != nil {
		return fmt.Errorf("read the datapath of hot-int (infra setup creates it): %w", err)
	}
	datapath = strings.Trim(strings.TrimSpace(datapath), `"`)
	if datapath == "" {
		datapath = "system"
	}
	ids := map[string]string{
		"ovn-bridge-datapath-type": datapath,
		"ovn-remote":               "unix:" + sb, "ovn-encap-type": "geneve", "ovn-encap-ip": encap,
		"system-id": chassis, "hostname": chassis, "ovn-bridge": "hot-int",
		"ovn-bridge-mappings": "provider:hot-ex", "ovn-cms-options": "enable-chassis-as-gw",
	}
	args := []string{"--timeout=10", "set", "open_vswitch", "."}
	for _, k := range []string{"ovn-remote", "ovn-encap-type", "ovn-encap-ip", "system-id", "hostname", "ovn-bridge", "ovn-bridge-mappings", "ovn-cms-options", "ovn-bridge-datapath-type"} {
		args = append(args, fmt.Sprintf("external_ids:%s=%q", k, ids[k]))
	}
	if err := c.Run(ctx, Proc{Argv: append([]string{"ovs-vsctl"}, args...)}); err != nil {
		return err
	}
	removeStale("ovn-controller.pid")
	// The userspace datapath loses guests' taps (taps.go); the kernel
	// datapath needs no help.
	var guard func(context.Context) error
	if datapath == "netdev" {
		guard = func(ctx context.Context) error {
			go keepTapsUp(ctx, vsctlPorts{c.sup}, c.Logf)
			return nil
		}
	}
	return c.Serve(ctx, guard, Proc{Argv: []string{"ovn-controller", "--pidfile=" + filepath.Join(ovnRun, "ovn-controller.pid"),
		"-vconsole:info", "-vsyslog:off", "-vfile:off", "unix:/run/openvswitch/db.sock"}})
}
