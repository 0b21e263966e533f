package entrypoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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
}
