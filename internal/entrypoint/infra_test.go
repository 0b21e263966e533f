package entrypoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUserDefinitionsHashThePassword: the definitions carry RabbitMQ's
// salted SHA-256 of the password, never the password.
func TestUserDefinitionsHashThePassword(t *testing.T) {
	defs, err := userDefinitions("openstack", "s3cret pass", bytes.NewReader([]byte{1, 2, 3, 4}))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(defs, []byte("s3cret")) {
		t.Fatalf("the password is in the definitions: %s", defs)
	}
	var got struct {
		Users []struct {
			Name             string `json:"name"`
			PasswordHash     string `json:"password_hash"`
			HashingAlgorithm string `json:"hashing_algorithm"`
		}
		Vhosts      []struct{ Name string }
		Permissions []struct{ User, Vhost, Configure, Write, Read string }
	}
	if err := json.Unmarshal(defs, &got); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(got.Users[0].PasswordHash)
	if err != nil || len(raw) != 36 {
		t.Fatalf("hash %q: %v", got.Users[0].PasswordHash, err)
	}
	want := sha256.Sum256(append([]byte{1, 2, 3, 4}, "s3cret pass"...))
	if !bytes.Equal(raw[:4], []byte{1, 2, 3, 4}) || !bytes.Equal(raw[4:], want[:]) || got.Users[0].HashingAlgorithm != "rabbit_password_hashing_sha256" {
		t.Fatalf("hash is not salt ++ sha256(salt ++ password): %x", raw)
	}
	if p := got.Permissions; len(p) != 1 || p[0].User != "openstack" || p[0].Vhost != "/" || p[0].Configure != ".*" || p[0].Write != ".*" || p[0].Read != ".*" {
		t.Fatalf("permissions %+v", p)
	}
	// A first boot that imports definitions makes no default vhost.
	if v := got.Vhosts; len(v) != 1 || v[0].Name != "/" {
		t.Fatalf("vhosts %+v, want the default one, /", v)
	}
}

// TestBootDefinitionsFollowsRabbitMQConf: the entrypoint writes the user's
// definitions where the rendered rabbitmq.conf has the node read them, and
// refuses a configuration that would leave the node without its user.
func TestBootDefinitionsFollowsRabbitMQConf(t *testing.T) {
	template, err := os.ReadFile("../../templates/configs/rabbitmq/rabbitmq.conf")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct{ name, conf, want, err string }{
		{"the template", string(template), "/run/rabbitmq/hotstack-os-definitions.json", ""},
		{"missing", "listeners.tcp.default = 5672\n# load_definitions = /x\n", "", "has no load_definitions"},
		{"relative", "a = b\nload_definitions = defs.json\n", "", "rabbitmq.conf:2: load_definitions must be an absolute path"},
	} {
		conf := filepath.Join(dir, "rabbitmq.conf")
		if err := os.WriteFile(conf, []byte(tc.conf), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := bootDefinitions(conf)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %q, %v; want an error with %q", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}
